{{/*
Names, labels, the stage table, the rendered playback.toml and the environment.
*/}}

{{- define "playback.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "playback.fullname" -}}
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

{{- define "playback.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "playback.selectorLabels" -}}
app.kubernetes.io/name: {{ include "playback.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "playback.labels" -}}
helm.sh/chart: {{ include "playback.chart" . }}
{{ include "playback.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: playback
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The stages: `name` is the object suffix, the component label and the `playback` subcommand;
`key` is the key under .Values.stages; `http` stages serve their API on their own port, the
others (Kafka consumers) serve only /healthz, /readyz and /metrics on adminPort.
*/}}
{{- define "playback.stageTable" -}}
- { name: gateway, key: gateway, http: true, consumer: false }
- { name: sessionizer, key: sessionizer, http: false, consumer: true }
- { name: scorer, key: scorer, http: false, consumer: true }
- { name: archiver, key: archiver, http: false, consumer: true }
- { name: assets, key: assets, http: false, consumer: true }
- { name: query-api, key: queryApi, http: true, consumer: false }
{{- end }}

{{/* The stages as a list of dicts, each with its values under `values`. Use: include + fromYamlArray. */}}
{{- define "playback.stages" -}}
{{- $root := . }}
{{- $out := list }}
{{- range (include "playback.stageTable" . | fromYamlArray) }}
{{- $values := index $root.Values.stages .key }}
{{- $out = append $out (merge (dict "values" $values) .) }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* Labels of one stage's objects. Argument: (list $ stage). */}}
{{- define "playback.stageLabels" -}}
{{- $root := index . 0 }}{{- $stage := index . 1 }}
{{- include "playback.labels" $root }}
app.kubernetes.io/component: {{ $stage.name }}
{{- end }}

{{- define "playback.stageSelectorLabels" -}}
{{- $root := index . 0 }}{{- $stage := index . 1 }}
{{- include "playback.selectorLabels" $root }}
app.kubernetes.io/component: {{ $stage.name }}
{{- end }}

{{/* The container port of a stage. Argument: (list $ stage). */}}
{{- define "playback.stagePort" -}}
{{- $root := index . 0 }}{{- $stage := index . 1 }}
{{- if $stage.http }}{{ int $stage.values.port }}{{ else }}{{ int $root.Values.adminPort }}{{ end }}
{{- end }}

{{/* The name of a stage's port: `http` for the gateway and the query API, `metrics` otherwise. */}}
{{- define "playback.stagePortName" -}}
{{- if .http }}http{{ else }}metrics{{ end }}
{{- end }}

{{- define "playback.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "playback.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image. Argument: (list $ stageValues), stageValues empty for the migrate Job; a
stage's imageTag wins over image.tag and image.digest (for upgrades in steps). */}}
{{- define "playback.image" -}}
{{- $root := index . 0 }}{{- $stageValues := index . 1 }}
{{- $image := $root.Values.image }}
{{- $stageTag := "" }}
{{- if kindIs "map" $stageValues }}{{ $stageTag = toString (default "" $stageValues.imageTag) }}{{ end }}
{{- if $stageTag }}
{{- printf "%s:%s" $image.repository $stageTag }}
{{- else if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository (toString (default $root.Chart.AppVersion $image.tag)) }}
{{- end }}
{{- end }}

{{/*
TOML rendering. Helm's toToml writes every number as a float (12.0, 8.64e+07), which the
binary refuses for integer fields, so the file is written here: strings with JSON escapes
(valid TOML basic strings), integral numbers as integers, tables and arrays of tables.
*/}}
{{- define "playback.toml.key" -}}
{{- if regexMatch "^[A-Za-z0-9_-]+$" . }}{{ . }}{{ else }}{{ toJson . }}{{ end }}
{{- end }}

{{- define "playback.toml.value" -}}
{{- $v := . }}
{{- if kindIs "string" $v }}{{ toJson $v }}
{{- else if kindIs "bool" $v }}{{ $v }}
{{- else if or (kindIs "int" $v) (kindIs "int64" $v) }}{{ $v }}
{{- else if kindIs "float64" $v }}{{ if eq $v (floor $v) }}{{ int64 $v }}{{ else }}{{ $v }}{{ end }}
{{- else if kindIs "slice" $v }}[{{ range $i, $e := $v }}{{ if $i }}, {{ end }}{{ include "playback.toml.value" $e }}{{ end }}]
{{- else }}{{ fail (printf "playback.toml: cannot write %v (%s) as a TOML value" $v (kindOf $v)) }}
{{- end }}
{{- end }}

{{/* Whether a value is a non-empty list of tables. */}}
{{- define "playback.toml.isTableArray" -}}
{{- if and (kindIs "slice" .) (gt (len .) 0) }}{{ if kindIs "map" (first .) }}true{{ end }}{{ end }}
{{- end }}

{{/* One table's body, then its sub-tables. Argument: (list "dotted.path" dict). */}}
{{- define "playback.toml.table" -}}
{{- $path := index . 0 }}{{- $table := index . 1 }}
{{- range $k, $v := $table }}
{{- if and (not (kindIs "invalid" $v)) (not (kindIs "map" $v)) (not (include "playback.toml.isTableArray" $v)) }}
{{ include "playback.toml.key" $k }} = {{ include "playback.toml.value" $v }}
{{- end }}
{{- end }}
{{- range $k, $v := $table }}
{{- $sub := include "playback.toml.key" $k }}
{{- if $path }}{{ $sub = printf "%s.%s" $path $sub }}{{ end }}
{{- if kindIs "map" $v }}

[{{ $sub }}]
{{- include "playback.toml.table" (list $sub $v) }}
{{- else if include "playback.toml.isTableArray" $v }}
{{- range $v }}

[[{{ $sub }}]]
{{- include "playback.toml.table" (list $sub .) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
playback.toml: every backend on "server", the listen addresses the Services point at, the
projects and backends from values, then .Values.config over it. Credentials are not in it.
*/}}
{{/* [encryption] of playback.toml: each master key read from the mounted Secret. */}}
{{- define "playback.encryption" -}}
{{- $keys := .Values.secrets.encryption }}
{{- $entries := list }}
{{- range $keys.keys }}{{ $entries = append $entries (dict "id" . "key_file" (printf "/etc/playback-keys/%s" .)) }}{{ end }}
{{- $encryption := dict "keys" $entries }}
{{- with $keys.current }}{{ $_ := set $encryption "current" . }}{{ end }}
{{- toYaml $encryption }}
{{- end }}

{{- define "playback.configDict" -}}
{{- $v := .Values }}
{{- $host := $v.listenHost }}
{{- $kafka := omit (deepCopy $v.kafka) "sasl_username" "sasl_password" }}
{{- $clickhouse := omit (deepCopy $v.clickhouse) "password" }}
{{- $s3 := omit (deepCopy $v.s3) "access_key_id" "secret_access_key" }}
{{- $share := omit (deepCopy (default (dict) $v.share)) "signing_key" }}
{{- $encryption := omit (deepCopy (default (dict) $v.s3.encryption)) "key_base64" }}
{{- if ne (default "" $encryption.mode) "sse-kms" }}{{ $_ := unset $encryption "key_id" }}{{ end }}
{{- $_ := set $s3 "encryption" $encryption }}
{{- $projects := list }}
{{- range $v.projects }}{{ $projects = append $projects (deepCopy .) }}{{ end }}
{{- $config := dict
  "admin_listen" (printf "%s:%d" $host (int $v.adminPort))
  "paths" (dict "demo_dir" "")
  "projects" $projects
  "log" (dict "backend" "server" "kafka" $kafka)
  "warehouse" (dict "backend" "server" "clickhouse" $clickhouse)
  "blobs" (dict "backend" "server" "s3" $s3)
  "gateway" (dict "listen" (printf "%s:%d" $host (int $v.stages.gateway.port)))
  "query" (dict "listen" (printf "%s:%d" $host (int $v.stages.queryApi.port)))
  "share" $share
  "encryption" (include "playback.encryption" . | fromYaml)
}}
{{- $config = mergeOverwrite $config (deepCopy (default (dict) $v.config)) }}
{{- toYaml $config }}
{{- end }}

{{- define "playback.configToml" -}}
# playback.toml rendered by the Helm chart {{ include "playback.chart" . }}; credentials come
# from the environment (PLAYBACK_*), never from this file.
{{- include "playback.toml.table" (list "" (include "playback.configDict" . | fromYaml)) }}
{{ end }}

{{/*
The refusals: what would render a credential, or a deployment the binary cannot run.
*/}}
{{- define "playback.validate" -}}
{{- $v := .Values }}
{{- $secretPaths := list
  (list "warehouse" "clickhouse" "password")
  (list "blobs" "s3" "access_key_id")
  (list "blobs" "s3" "secret_access_key")
  (list "blobs" "s3" "encryption" "key_base64")
  (list "log" "kafka" "sasl_username")
  (list "log" "kafka" "sasl_password")
  (list "auth" "tokens")
  (list "share" "signing_key") }}
{{- range $secretPaths }}
{{- $node := $v.config }}
{{- range . }}{{ if kindIs "map" $node }}{{ $node = get $node . }}{{ else }}{{ $node = "" }}{{ end }}{{ end }}
{{- if $node }}{{ fail (printf "config.%s is a credential: reference it under secrets instead" (join "." .)) }}{{ end }}
{{- end }}
{{- $client := default (dict) $v.kafka.client }}
{{- $fromConfig := dict }}
{{- with $v.config }}{{ with .log }}{{ with .kafka }}{{ with .client }}{{ $fromConfig = . }}{{ end }}{{ end }}{{ end }}{{ end }}
{{- range $name := list "sasl.password" "ssl.key.password" "ssl.keystore.password" "sasl.oauthbearer.client.secret" }}
{{- if or (hasKey $client $name) (hasKey $fromConfig $name) }}
{{- fail (printf "kafka.client.%s is a credential: use secrets.kafkaSasl (or extraEnv with a secretKeyRef)" $name) }}
{{- end }}
{{- end }}
{{- $mode := dig "encryption" "mode" "sse-s3" (default (dict) $v.s3) }}
{{- if and (eq $mode "sse-c") (not $v.secrets.sseC.existingSecret) }}
{{- fail "s3.encryption.mode is sse-c: set secrets.sseC.existingSecret to the Secret holding the key" }}
{{- end }}
{{- if and $v.secrets.sseC.existingSecret (ne $mode "sse-c") }}
{{- fail "secrets.sseC.existingSecret is set: set s3.encryption.mode to sse-c as well" }}
{{- end }}
{{- /* The partition count the topics are created with: kafka.partitions, or
config.log.kafka.partitions when that overrides it. Every topic has it, and each consumer
stage is one consumer group, so a member above it would own no partition. */}}
{{- $effective := include "playback.configDict" . | fromYaml }}
{{- $partitions := int (dig "log" "kafka" "partitions" 0 $effective) }}
{{- range (include "playback.stages" . | fromYamlArray) }}
{{- if and .consumer .values.enabled }}
{{- if gt (int .values.replicas) $partitions }}
{{- fail (printf "stages.%s.replicas (%d) is above the Kafka partition count (kafka.partitions, %d): a consumer group gives each partition to one member, so the extra %s replicas would sit idle" .key (int .values.replicas) $partitions .name) }}
{{- end }}
{{- if and .values.autoscaling .values.autoscaling.enabled (gt (int .values.autoscaling.maxReplicas) $partitions) }}
{{- fail (printf "stages.%s.autoscaling.maxReplicas (%d) is above the Kafka partition count (kafka.partitions, %d): a consumer group gives each partition to one member, so the extra %s replicas would sit idle" .key (int .values.autoscaling.maxReplicas) $partitions .name) }}
{{- end }}
{{- end }}
{{- end }}
{{- /* The query API refuses to start without API tokens and a share-link signing key. */}}
{{- if $v.stages.queryApi.enabled }}
{{- if not $v.secrets.apiTokens.existingSecret }}
{{- fail "the query API needs API tokens: set secrets.apiTokens.existingSecret (and .key) to the Secret holding the [[auth.tokens]] list (helm/README.md, Secrets), or set stages.queryApi.enabled=false" }}
{{- end }}
{{- if not $v.secrets.shareLinks.existingSecret }}
{{- fail "the query API needs a share-link signing key: set secrets.shareLinks.existingSecret (and .key) to the Secret holding share.signing_key, at least 32 characters (helm/README.md, Secrets), or set stages.queryApi.enabled=false" }}
{{- end }}
{{- end }}
{{- /* Every process seals and opens with the master keys. */}}
{{- $keys := $v.secrets.encryption }}
{{- if not $keys.existingSecret }}
{{- fail "every process needs the master keys of encryption at rest: set secrets.encryption.existingSecret to the Secret holding them (one key of 32 random bytes per id in secrets.encryption.keys; docs/operations.md, Keys and rotation)" }}
{{- end }}
{{- if not $keys.keys }}
{{- fail "secrets.encryption.keys names no master key: list the ids, each a key of the Secret" }}
{{- end }}
{{- if and $keys.current (not (has $keys.current $keys.keys)) }}
{{- fail (printf "secrets.encryption.current (%s) is not one of secrets.encryption.keys" $keys.current) }}
{{- end }}
{{- if and (not $keys.current) (gt (len $keys.keys) 1) }}
{{- fail "secrets.encryption.keys names several master keys: say which is current in secrets.encryption.current" }}
{{- end }}
{{- with $v.config }}{{ with .encryption }}{{ if or (hasKey . "keys") (hasKey . "current") }}
{{- fail "config.encryption.keys and .current come from secrets.encryption: the chart mounts the keys from their Secret" }}
{{- end }}{{ end }}{{ end }}
{{- $defaultHours := int64 (dig "share" "default_hours" 168 $effective) }}
{{- $maxHours := int64 (dig "share" "max_hours" 720 $effective) }}
{{- if gt $defaultHours $maxHours }}
{{- fail (printf "share.default_hours (%d) is above share.max_hours (%d): a share link asked for without a lifetime would be refused" $defaultHours $maxHours) }}
{{- end }}
{{- end }}

{{/*
The credentials a stage gets, as env entries with secretKeyRef. Argument: (list $ stageName);
stageName "migrate" is the migrate Job. Every process opens the event log and the blob store
(the S3 client needs its keys, and the SSE-C key, to be built); all but the gateway use the
warehouse; only the query API checks API tokens and signs share links.
*/}}
{{- define "playback.secretEnv" -}}
{{- $root := index . 0 }}{{- $stage := index . 1 }}
{{- $s := $root.Values.secrets }}
{{- with $s.kafkaSasl }}{{ if .existingSecret }}
{{- if .usernameKey }}
- name: PLAYBACK_LOG__KAFKA__SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret | quote }}
      key: {{ .usernameKey | quote }}
{{- end }}
- name: PLAYBACK_LOG__KAFKA__SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret | quote }}
      key: {{ .passwordKey | quote }}
{{- end }}{{ end }}
{{- if ne $stage "gateway" }}
{{- with $s.clickhouse }}{{ if .existingSecret }}
- name: PLAYBACK_WAREHOUSE__CLICKHOUSE__PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret | quote }}
      key: {{ .passwordKey | quote }}
{{- end }}{{ end }}
{{- end }}
{{- with $s.s3 }}{{ if .existingSecret }}
- name: PLAYBACK_BLOBS__S3__ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret | quote }}
      key: {{ .accessKeyIdKey | quote }}
- name: PLAYBACK_BLOBS__S3__SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret | quote }}
      key: {{ .secretAccessKeyKey | quote }}
{{- end }}{{ end }}
{{- with $s.sseC }}{{ if .existingSecret }}
- name: PLAYBACK_BLOBS__S3__ENCRYPTION__KEY_BASE64
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret | quote }}
      key: {{ .key | quote }}
{{- end }}{{ end }}
{{- if eq $stage "query-api" }}
{{- with $s.apiTokens }}{{ if .existingSecret }}
- name: PLAYBACK_AUTH__TOKENS
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret | quote }}
      key: {{ .key | quote }}
{{- end }}{{ end }}
{{- with $s.shareLinks }}{{ if .existingSecret }}
- name: PLAYBACK_SHARE__SIGNING_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret | quote }}
      key: {{ .key | quote }}
{{- end }}{{ end }}
{{- end }}
{{- end }}

{{/* The whole env of a container. Argument: (list $ stageName stageEnvList). */}}
{{- define "playback.env" -}}
{{- $root := index . 0 }}{{- $stage := index . 1 }}{{- $stageEnv := index . 2 -}}
- name: PLAYBACK_CONFIG
  value: /etc/playback/playback.toml
- name: PLAYBACK_LOG
  value: {{ $root.Values.logLevel | quote }}
{{- include "playback.secretEnv" (list $root $stage) }}
{{- with $root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with $stageEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Volumes shared by the stages and the migrate Job. Argument: (list $ configMapName). */}}
{{- define "playback.volumes" -}}
{{- $root := index . 0 }}{{- $configMap := index . 1 -}}
- name: config
  configMap:
    name: {{ $configMap }}
- name: master-keys
  secret:
    secretName: {{ $root.Values.secrets.encryption.existingSecret | quote }}
    defaultMode: 0440
- name: tmp
  emptyDir:
    {{- with $root.Values.tmpVolume.medium }}
    medium: {{ . }}
    {{- end }}
    {{- with $root.Values.tmpVolume.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
{{- with $root.Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "playback.volumeMounts" -}}
- name: config
  mountPath: /etc/playback
  readOnly: true
- name: master-keys
  mountPath: /etc/playback-keys
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}
