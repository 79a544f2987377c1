// Package params reads a DAG's params from Airflow's serialized DAG and checks
// a run's conf against them the way Airflow does when it creates a DAG run.
//
// Airflow references:
//   - airflow/models/param.py (2.x), task-sdk/src/airflow/sdk/definitions/param.py (3.0)
//     and airflow-core/src/airflow/serialization/definitions/param.py (3.1+):
//     Param.resolve, ParamsDict.update / deep_merge, ParamsDict.validate.
//   - airflow/serialization/serialized_objects.py: BaseSerialization._serialize_params_dict,
//     _deserialize_params_dict and _deserialize_param.
//
// Where validation happens: every Airflow version this package targets (2.7–3.3)
// validates at DAG-run creation. DAG.create_dagrun (2.x, 3.0) copies dag.params,
// applies the conf (ParamsDict.update, which resolves each known key at once)
// and calls validate(); from 3.1 on SerializedDAG.create_dagrun does
// params.deep_merge(conf).validate(). The REST API, `airflow dags trigger` and
// the scheduler all go through create_dagrun, so an invalid conf never
// produces a run. The conf stored in dag_run.conf is the conf as given, not
// the merged result.
package params

import (
	"errors"
	"fmt"
)

// Param is one DAG param as Airflow serializes it.
type Param struct {
	Key string
	// Default is the decoded default value: JSON values, with numbers as
	// json.Number. It is meaningful only when HasDefault is true.
	Default any
	// HasDefault is false when the Param was declared without a default
	// (Airflow's NOTSET). A default of None is a default: HasDefault is true
	// and Default is nil.
	HasDefault  bool
	Description string
	// Schema is the param's JSON schema (never nil after Decode; empty means
	// any value is accepted).
	Schema map[string]any
}

// ValidationError reports a conf that Airflow would reject for one param.
type ValidationError struct {
	Param  string
	Reason string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("conf: param %q: %s", e.Param, e.Reason)
}

// ErrInvalidParams is wrapped by Decode errors: the serialized params are not
// in any form Airflow writes.
var ErrInvalidParams = errors.New("invalid serialized params")

// reasonNoValue is Airflow's own message (Param.resolve).
const reasonNoValue = "No value passed and Param has no default value"
