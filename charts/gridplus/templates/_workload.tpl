{{/*
The one workload: a Deployment and its Service for one Grid+ service.
Args: dict root, name (e.g. "grid-registry"), cfg (from gridplus.config).
*/}}
{{- define "gridplus.workload" -}}
{{- $root := .root }}
{{- $cfg := .cfg }}
{{- $fullName := include "gridplus.componentName" . }}
{{- $package := include "gridplus.package" .name }}
{{- $labels := dict "root" $root "component" .name }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullName }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "gridplus.labels" $labels | nindent 4 }}
  annotations:
    {{- include "gridplus.checkovSkips" . | nindent 4 }}
spec:
  {{- if not $cfg.autoscaling.enabled }}
  replicas: {{ $cfg.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      # Never below the wanted number of ready pods during a rollout.
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "gridplus.selectorLabels" $labels | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "gridplus.labels" $labels | nindent 8 }}
        {{- with $cfg.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $cfg.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ include "gridplus.serviceAccountName" $root }}
      # preStop sleep + the service's own drain time + a margin before SIGKILL.
      terminationGracePeriodSeconds: {{ add $cfg.preStopSleepSeconds $cfg.shutdownGraceSeconds 5 }}
      {{- include "gridplus.podBase" . | nindent 6 }}
      {{- with $cfg.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if include "gridplus.migrateInPod" $root }}
      # SQLite lives in this pod's var volume (or the in-release PostgreSQL starts with the
      # release), so the schema is migrated here, not by a hook Job.
      initContainers:
        - name: migrate
          args: [{{ printf "gridplus.%s" $package | quote }}, "migrate"]
          {{- include "gridplus.containerBase" . | nindent 10 }}
      {{- end }}
      containers:
        - name: {{ .name }}
          args: [{{ printf "gridplus.%s" $package | quote }}, "serve"]
          {{- include "gridplus.containerBase" . | nindent 10 }}
          ports:
            {{- range $port, $number := $cfg.ports }}
            - name: {{ $port }}
              containerPort: {{ $number }}
              protocol: TCP
            {{- end }}
          {{- range $kind, $probe := $cfg.probes }}
          {{ $kind }}Probe:
            grpc:
              port: {{ $cfg.ports.grpc }}
            {{- toYaml $probe | nindent 12 }}
          {{- end }}
          lifecycle:
            preStop:
              exec:
                command: ["sleep", {{ $cfg.preStopSleepSeconds | toString | quote }}]
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullName }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "gridplus.labels" $labels | nindent 4 }}
  {{- with $cfg.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $cfg.service.type }}
  selector:
    {{- include "gridplus.selectorLabels" $labels | nindent 4 }}
  ports:
    {{- range $port, $number := $cfg.ports }}
    - name: {{ $port }}
      port: {{ $number }}
      targetPort: {{ $port }}
      protocol: TCP
      appProtocol: {{ ternary "grpc" "http" (eq $port "grpc") }}
    {{- end }}
---
{{- /* Headless: the name resolves to every ready pod, so the other services' gRPC clients
balance their calls round robin over all replicas (GRIDPLUS_<SVC>_ADDR points here). */}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "gridplus.headlessName" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "gridplus.labels" $labels | nindent 4 }}
spec:
  clusterIP: None
  selector:
    {{- include "gridplus.selectorLabels" $labels | nindent 4 }}
  ports:
    - name: grpc
      port: {{ $cfg.ports.grpc }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
{{- if $cfg.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $fullName }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "gridplus.labels" $labels | nindent 4 }}
spec:
  maxUnavailable: {{ $cfg.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "gridplus.selectorLabels" $labels | nindent 6 }}
{{- end }}
{{- if $cfg.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $fullName }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "gridplus.labels" $labels | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $fullName }}
  minReplicas: {{ $cfg.autoscaling.minReplicas }}
  maxReplicas: {{ $cfg.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $cfg.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- end }}
