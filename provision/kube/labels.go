package kube

// Labels on everything a run creates.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "nvmf-chaos"
	LabelComponent = "app.kubernetes.io/component"
	LabelRunID     = "nvmf-chaos.io/run-id"
	LabelNode      = "nvmf-chaos.io/node"
	LabelWorkload  = "nvmf-chaos.io/workload"
	LabelVolume    = "nvmf-chaos.io/volume"
	// LabelCoLocated marks target pods that share backing files and so
	// must run on one cluster node.
	LabelCoLocated = "nvmf-chaos.io/co-located"
)

// Components.
const (
	ComponentTarget  = "target"
	ComponentWorker  = "worker"
	ComponentJanitor = "janitor"
)

// labels is the label set of one of a run's objects.
func labels(runID, component string, extra ...string) map[string]string {
	m := map[string]string{LabelManagedBy: ManagedBy, LabelRunID: runID}
	if component != "" {
		m[LabelComponent] = component
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// RunSelector selects a run's objects; all runs' when runID is empty.
func RunSelector(runID string) string {
	sel := LabelManagedBy + "=" + ManagedBy
	if runID != "" {
		sel += "," + LabelRunID + "=" + runID
	}
	return sel
}
