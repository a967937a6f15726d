{{/* Names, labels and the per-service configuration shared by every template. */}}

{{- define "gridplus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-wide name: the release name alone when it already contains the chart name. */}}
{{- define "gridplus.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gridplus.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of one service's Deployment and Service. Args: dict root, name. */}}
{{- define "gridplus.componentName" -}}
{{- printf "%s-%s" (include "gridplus.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of one service's headless Service (gRPC clients resolve every pod). Args: dict root, name. */}}
{{- define "gridplus.headlessName" -}}
{{- $keep := sub 53 (len .name) | int }}
{{- printf "%s-%s-headless" (include "gridplus.fullname" .root | trunc $keep | trimSuffix "-") .name }}
{{- end }}

{{/* Python package of a service: grid-registry -> grid_registry. */}}
{{- define "gridplus.package" -}}
{{- . | replace "-" "_" }}
{{- end }}

{{/* Env var prefix of a service: grid-registry -> GRIDPLUS_GRID_REGISTRY. */}}
{{- define "gridplus.envPrefix" -}}
{{- printf "GRIDPLUS_%s" (include "gridplus.package" . | upper) }}
{{- end }}

{{/* Labels on every object. Args: dict root, component. */}}
{{- define "gridplus.labels" -}}
helm.sh/chart: {{ include "gridplus.chart" .root }}
{{ include "gridplus.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: gridplus
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{/* Labels a Service selects on. Args: dict root, component. */}}
{{- define "gridplus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gridplus.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{- define "gridplus.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gridplus.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
A service's settings as YAML: .Values.default overlaid with the service block. env, podAnnotations,
podLabels, probes, podDisruptionBudget and autoscaling merge key by key (service wins); any other
key replaces the default whole.
Args: dict root, svc. Use with fromYaml.
*/}}
{{- define "gridplus.config" -}}
{{- $default := .root.Values.default }}
{{- $svc := deepCopy .svc }}
{{- $cfg := deepCopy $default }}
{{- range $key, $value := $svc }}
{{- $_ := set $cfg $key $value }}
{{- end }}
{{- range $key := list "env" "podAnnotations" "podLabels" "probes" "podDisruptionBudget" "autoscaling" }}
{{- /* deepCopy: merging into a shared default would leak one service's override into the next. */}}
{{- $_ := set $cfg $key (mergeOverwrite (deepCopy (get $default $key | default dict)) (get $svc $key | default dict)) }}
{{- end }}
{{- $image := mergeOverwrite (deepCopy .root.Values.image) (get $svc "image" | default dict) }}
{{- $_ := set $cfg "image" $image }}
{{- toYaml $cfg }}
{{- end }}

{{/* Image reference. Args: the merged config's image block and root. */}}
{{- define "gridplus.image" -}}
{{- $tag := .image.tag | default .root.Chart.AppVersion | toString }}
{{- if .image.digest }}
{{- printf "%s:%s@%s" .image.repository $tag .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository $tag }}
{{- end }}
{{- end }}

{{/* A valueFrom.secretKeyRef map for the env dict. */}}
{{- define "gridplus.secretRef" -}}
{{- toYaml (dict "secretKeyRef" (dict "name" .name "key" .key)) }}
{{- end }}

{{/*
The container environment, one entry per name (later sources win): ports, in-cluster addresses of
all five services, Kafka, database, secrets by reference, then default.env and the service's env.
A map value becomes valueFrom, anything else value. Args: dict root, name, cfg.
*/}}
{{- define "gridplus.env" -}}
{{- $root := .root }}
{{- $values := $root.Values }}
{{- $cfg := .cfg }}
{{- $prefix := include "gridplus.envPrefix" .name }}
{{- $env := dict }}
{{- range $port, $number := $cfg.ports }}
{{- $_ := set $env (printf "%s_%s_PORT" $prefix (upper $port)) $number }}
{{- end }}
{{- range $other, $otherSvc := $values.services }}
{{- $host := printf "%s.%s.svc.%s" (include "gridplus.headlessName" (dict "root" $root "name" $other)) $root.Release.Namespace $values.clusterDomain }}
{{- $_ := set $env (printf "%s_ADDR" (include "gridplus.envPrefix" $other)) (printf "dns:///%s:%v" $host $otherSvc.ports.grpc) }}
{{- end }}
{{- $kafka := $values.kafka }}
{{- $_ := set $env "GRIDPLUS_KAFKA_BOOTSTRAP_SERVERS" (include "gridplus.kafkaBootstrap" $root) }}
{{- $_ := set $env "GRIDPLUS_KAFKA_SECURITY_PROTOCOL" $kafka.securityProtocol }}
{{- $_ := set $env "GRIDPLUS_KAFKA_TOPIC_PARTITIONS" $kafka.topicPartitions }}
{{- $_ := set $env "GRIDPLUS_KAFKA_REPLICATION_FACTOR" (ternary 1 $kafka.replicationFactor $values.inRelease.kafka.enabled) }}
{{- with $kafka.sasl.mechanism }}{{ $_ := set $env "GRIDPLUS_KAFKA_SASL_MECHANISM" . }}{{ end }}
{{- with $kafka.sasl.username }}{{ $_ := set $env "GRIDPLUS_KAFKA_SASL_USERNAME" . }}{{ end }}
{{- with $kafka.sasl.existingSecret }}
{{- $_ := set $env "GRIDPLUS_KAFKA_SASL_PASSWORD" (include "gridplus.secretRef" (dict "name" . "key" $kafka.sasl.passwordKey) | fromYaml) }}
{{- end }}
{{- if $kafka.ssl.caExistingSecret }}
{{- $_ := set $env "GRIDPLUS_KAFKA_SSL_CAFILE" (printf "/etc/gridplus/kafka-ca/%s" $kafka.ssl.caKey) }}
{{- end }}
{{- $db := get $cfg "database" | default dict }}
{{- $urlVar := printf "%s_DATABASE_URL" $prefix }}
{{- if not $values.postgresql.enabled }}
{{- $_ := set $env $urlVar (printf "sqlite:////app/var/%s.db" (include "gridplus.package" .name)) }}
{{- else if get $db "urlKey" }}
{{- $_ := set $env $urlVar (include "gridplus.secretRef" (dict "name" $db.existingSecret "key" (get $db "urlKey")) | fromYaml) }}
{{- else }}
{{- /* No password in the URL: libpq reads PGPASSWORD, so any character is safe in it. */}}
{{- $pg := $values.postgresql }}
{{- $_ := set $env $urlVar (printf "postgresql+psycopg://%s@%s:%v/%s" $db.user (include "gridplus.postgresqlHost" $root) $pg.port $db.name) }}
{{- $_ := set $env "PGPASSWORD" (include "gridplus.secretRef" (dict "name" $db.existingSecret "key" (get $db "passwordKey" | default "password")) | fromYaml) }}
{{- $_ := set $env "PGSSLMODE" $pg.sslMode }}
{{- end }}
{{- $jwt := $values.auth.jwt }}
{{- $_ := set $env "GRIDPLUS_JWT_SECRET" (include "gridplus.secretRef" (dict "name" $jwt.existingSecret "key" $jwt.secretKey) | fromYaml) }}
{{- $_ := set $env "GRIDPLUS_JWT_ISSUER" $jwt.issuer }}
{{- with $values.auth.oidc }}{{ if .issuer }}
{{- $_ := set $env "GRIDPLUS_OIDC_ISSUER" .issuer }}
{{- $_ := set $env "GRIDPLUS_OIDC_AUDIENCE" (required "auth.oidc.audience is required when auth.oidc.issuer is set" .audience) }}
{{- with .clientId }}{{ $_ := set $env "GRIDPLUS_OIDC_CLIENT_ID" . }}{{ end }}
{{- with .clientSecret.existingSecret }}{{ $_ := set $env "GRIDPLUS_OIDC_CLIENT_SECRET" (include "gridplus.secretRef" (dict "name" . "key" $values.auth.oidc.clientSecret.key) | fromYaml) }}{{ end }}
{{- $_ := set $env "GRIDPLUS_OIDC_ROLE_CLAIM" .claims.role }}
{{- $_ := set $env "GRIDPLUS_OIDC_GRIDS_CLAIM" .claims.grids }}
{{- $_ := set $env "GRIDPLUS_OIDC_DEPARTMENT_CLAIM" .claims.department }}
{{- end }}{{ end }}
{{- if get $cfg "usesPiiKey" }}
{{- $_ := set $env "GRIDPLUS_PII_KEY" (include "gridplus.secretRef" (dict "name" $values.pii.existingSecret "key" $values.pii.key) | fromYaml) }}
{{- end }}
{{- with $values.otel.endpoint }}{{ $_ := set $env "OTEL_EXPORTER_OTLP_ENDPOINT" . }}{{ end }}
{{- with $values.egress.allow }}{{ $_ := set $env "GRIDPLUS_EGRESS_ALLOW" (join "," .) }}{{ end }}
{{- $_ := set $env "OTEL_SERVICE_NAME" .name }}
{{- $_ := set $env "GRIDPLUS_VAR_DIR" "/app/var" }}
{{- $_ := set $env "GRIDPLUS_SHUTDOWN_GRACE_SECONDS" $cfg.shutdownGraceSeconds }}
{{- if has .name (list "notification" "petition") }}
{{- /* Rate limits are service-wide (notification's outgoing channels, petition's public intake),
       divided among the most replicas that can run. */}}
{{- $_ := set $env (printf "%s_REPLICAS" $prefix) (ternary $cfg.autoscaling.maxReplicas $cfg.replicas $cfg.autoscaling.enabled) }}
{{- end }}
{{- /* Migrations run before the pods start: a hook Job (PostgreSQL) or an init container (SQLite). */}}
{{- $_ := set $env "GRIDPLUS_MIGRATE_ON_START" "false" }}
{{- /* Typed per-service settings: refreshSeconds -> GRIDPLUS_GRID_REGISTRY_REFRESH_SECONDS. */}}
{{- range $key, $value := (get $cfg "settings" | default dict) }}
{{- $_ := set $env (printf "%s_%s" $prefix ($key | snakecase | upper)) $value }}
{{- end }}
{{- /* Typed secret settings: smtpPassword: {name, key} -> GRIDPLUS_NOTIFICATION_SMTP_PASSWORD. */}}
{{- range $key, $ref := (get $cfg "secretSettings" | default dict) }}
{{- $_ := set $env (printf "%s_%s" $prefix ($key | snakecase | upper)) (include "gridplus.secretRef" (dict "name" $ref.name "key" $ref.key) | fromYaml) }}
{{- end }}
{{- $env = mergeOverwrite $env $cfg.env }}
{{- range $name, $value := $env }}
- name: {{ $name }}
{{- if kindIs "map" $value }}
  valueFrom:
    {{- toYaml $value | nindent 4 }}
{{- else }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Image, env, security and mounts shared by the server, its init container and the migration Job. */}}
{{- define "gridplus.containerBase" -}}
image: {{ include "gridplus.image" (dict "image" .cfg.image "root" .root) }}
imagePullPolicy: {{ .cfg.image.pullPolicy }}
securityContext:
  {{- toYaml .root.Values.containerSecurityContext | nindent 2 }}
env:
  {{- include "gridplus.env" . | trim | nindent 2 }}
resources:
  {{- toYaml .cfg.resources | nindent 2 }}
volumeMounts:
  - name: var
    mountPath: /app/var
  - name: tmp
    mountPath: /tmp
  {{- if .root.Values.kafka.ssl.caExistingSecret }}
  - name: kafka-ca
    mountPath: /etc/gridplus/kafka-ca
    readOnly: true
  {{- end }}
  {{- with .cfg.extraVolumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* Pod-level settings shared by the Deployment and the migration Job. Args: dict root, cfg. */}}
{{- define "gridplus.podBase" -}}
automountServiceAccountToken: false
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .cfg.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .cfg.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .cfg.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .cfg.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: var
    emptyDir:
      sizeLimit: {{ .root.Values.varVolume.sizeLimit }}
  - name: tmp
    emptyDir: {}
  {{- with .root.Values.kafka.ssl.caExistingSecret }}
  - name: kafka-ca
    secret:
      secretName: {{ . }}
  {{- end }}
  {{- with .cfg.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* Fails the render on values the schema cannot judge alone. Args: dict root, name, cfg. */}}
{{- define "gridplus.validate" -}}
{{- if and (not .root.Values.postgresql.enabled) (gt (int .cfg.replicas) 1) }}
{{- fail (printf "services.%s: with postgresql.enabled=false each pod has its own SQLite file; replicas must be 0 or 1" .name) }}
{{- end }}
{{- $kafka := .root.Values.kafka }}
{{- if and .root.Values.inRelease.postgresql.enabled (not .root.Values.postgresql.enabled) }}
{{- fail "inRelease.postgresql.enabled needs postgresql.enabled=true" }}
{{- end }}
{{- if and (hasPrefix "SASL" $kafka.securityProtocol) (not $kafka.sasl.mechanism) }}
{{- fail (printf "kafka.sasl.mechanism is required with kafka.securityProtocol=%s" $kafka.securityProtocol) }}
{{- end }}
{{- if and (not .root.Values.postgresql.enabled) .cfg.autoscaling.enabled }}
{{- fail (printf "services.%s: autoscaling needs postgresql.enabled=true (SQLite is one file per pod)" .name) }}
{{- end }}
{{- if and .cfg.autoscaling.enabled (gt (int .cfg.autoscaling.minReplicas) (int .cfg.autoscaling.maxReplicas)) }}
{{- fail (printf "services.%s.autoscaling: minReplicas must not exceed maxReplicas" .name) }}
{{- end }}
{{- if and .root.Values.postgresql.enabled (not (dig "database" "existingSecret" "" .cfg)) }}
{{- fail (printf "services.%s.database.existingSecret is required when postgresql.enabled=true" .name) }}
{{- end }}
{{- end }}

{{/* Kafka bootstrap servers: the in-release broker when it is enabled, else kafka.bootstrapServers. */}}
{{- define "gridplus.kafkaBootstrap" -}}
{{- if .Values.inRelease.kafka.enabled }}
{{- printf "%s-kafka:9092" (include "gridplus.fullname" .) }}
{{- else }}
{{- .Values.kafka.bootstrapServers }}
{{- end }}
{{- end }}

{{/* PostgreSQL host: the in-release server when it is enabled, else postgresql.host. */}}
{{- define "gridplus.postgresqlHost" -}}
{{- if .Values.inRelease.postgresql.enabled }}
{{- printf "%s-postgresql" (include "gridplus.fullname" .) }}
{{- else }}
{{- .Values.postgresql.host }}
{{- end }}
{{- end }}

{{/*
checkov findings accepted for the workloads, each with its reason (checkov reads these
annotations as suppressions: checkov.io/skipN: CHECK_ID=reason).
*/}}
{{- define "gridplus.checkovSkips" -}}
checkov.io/skip1: "CKV_K8S_15=pullPolicy IfNotPresent is deliberate for tag or digest pins; set image.pullPolicy to Always for mutable tags."
checkov.io/skip2: "CKV_K8S_35=The services read configuration from env (kit.config.Env); secrets arrive only as secretKeyRef, never as chart values."
checkov.io/skip3: "CKV_K8S_11=No CPU limit on purpose: CFS throttling stalls gRPC deadlines and Kafka heartbeats; CPU requests are set and HPA scales on them."
checkov.io/skip4: "CKV_K8S_43=The default values cannot know the digest of your build; set image.digest (skaffold passes tag@digest)."
{{- end }}

{{/*
"true" when each pod migrates its own database in an init container instead of a hook Job:
SQLite (one file per pod), or the in-release PostgreSQL (it does not exist yet when pre-install
hooks run).
*/}}
{{- define "gridplus.migrateInPod" -}}
{{- if or (not .Values.postgresql.enabled) .Values.inRelease.postgresql.enabled }}true{{ end }}
{{- end }}
