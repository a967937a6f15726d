{{/*
Schema migration for one service, run by Helm before install and before every upgrade so new pods
never start against an old schema. Args: dict root, name, cfg.
*/}}
{{- define "gridplus.migrationJob" -}}
{{- $root := .root }}
{{- $migrations := $root.Values.migrations }}
{{- $component := printf "%s-migrate" .name }}
{{- $labels := dict "root" $root "component" $component }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ printf "%s-migrate" (include "gridplus.componentName" .) | trunc 63 | trimSuffix "-" }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "gridplus.labels" $labels | nindent 4 }}
  annotations:
    {{- include "gridplus.checkovSkips" . | nindent 4 }}
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "0"
    helm.sh/hook-delete-policy: {{ $migrations.hookDeletePolicy }}
spec:
  backoffLimit: {{ $migrations.backoffLimit }}
  activeDeadlineSeconds: {{ $migrations.activeDeadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "gridplus.labels" $labels | nindent 8 }}
    spec:
      # No serviceAccountName: a pre-install hook runs before the chart's ServiceAccount exists,
      # and migrating needs no Kubernetes API access.
      restartPolicy: Never
      {{- include "gridplus.podBase" . | nindent 6 }}
      containers:
        - name: migrate
          args: [{{ printf "gridplus.%s" (include "gridplus.package" .name) | quote }}, "migrate"]
          {{- include "gridplus.containerBase" . | nindent 10 }}
{{- end }}
