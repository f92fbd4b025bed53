{{/* Names and labels shared by every template. */}}
{{- define "latticegw.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "latticegw.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "latticegw.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "latticegw.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "latticegw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "latticegw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "latticegw.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "latticegw.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: latticegw
{{- end -}}

{{- define "latticegw.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "latticegw.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "latticegw.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The queue store's ConfigMap names: <fullname>-queue-00 .. -NN (see controller/queue/store_kube.py). */}}
{{- define "latticegw.queuePrefix" -}}latticegw-queue{{- end -}}

{{/* Fails the render when a value uses the AWS Gateway API Controller chart's name (files/aws-chart-values.yaml),
naming the key to use instead; every such key set is reported at once. */}}
{{- define "latticegw.rejectAwsChartValues" -}}
{{- $renames := .Files.Get "files/aws-chart-values.yaml" | fromYaml -}}
{{- $errors := list -}}
{{- range $old, $spec := $renames -}}
{{- $cur := $.Values -}}
{{- $found := true -}}
{{- range $part := splitList "." $old -}}
{{- if and $found (kindIs "map" $cur) (hasKey $cur $part) -}}
{{- $cur = index $cur $part -}}
{{- else -}}
{{- $found = false -}}
{{- end -}}
{{- end -}}
{{- if $found -}}
{{- if $spec.use -}}
{{- $errors = append $errors (printf "%s is the AWS Gateway API Controller chart's name: set %s instead" $old $spec.use) -}}
{{- else -}}
{{- $errors = append $errors (printf "%s (AWS Gateway API Controller chart) has no equivalent: %s" $old $spec.none) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $errors -}}
{{- fail (printf "\n%s\n(see docs/reference/helm-values.md, \"From the AWS controller's chart\")" (join "\n" $errors)) -}}
{{- end -}}
{{- end -}}

{{/* A value given as a string, or as a number because `--set k=123` and YAML parse digits as numbers:
rendered as the digits, never as 1.23e+11. Call with (list value width); width pads with zeros
(an account id is always 12 digits, and a number has lost its leading zeros). */}}
{{- define "latticegw.digits" -}}
{{- $v := index . 0 -}}{{- $width := index . 1 -}}
{{- if kindIs "string" $v -}}
{{- $v -}}
{{- else if kindIs "float64" $v -}}
{{- printf "%0*.0f" $width $v -}}
{{- else -}}
{{- printf "%0*d" $width $v -}}
{{- end -}}
{{- end -}}

{{/* The Lease's namespace: leaderElection.leaseNamespace, else the release's. */}}
{{- define "latticegw.leaseNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.leaseNamespace -}}
{{- end -}}

{{/* RBAC for the Lease: create (cannot be limited by name), get/update of that one Lease. */}}
{{- define "latticegw.leaseRules" -}}
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [create]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  resourceNames: [{{ .Values.leaderElection.leaseName | quote }}]
  verbs: [get, update]
{{- end -}}
