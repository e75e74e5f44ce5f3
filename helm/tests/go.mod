module playback.local/helm/tests

go 1.24

require (
	github.com/BurntSushi/toml v1.6.0
	sigs.k8s.io/yaml v1.6.0
)

require go.yaml.in/yaml/v2 v2.4.2 // indirect
