// Command dagctl lists and creates Airflow DAG runs and backfills by talking
// directly to Airflow's metadata database.
package main

import (
	"os"
	_ "time/tzdata" // results must not depend on the host's zone files

	"github.com/dagctl/dagctl/internal/app"
)

func main() { os.Exit(app.Main()) }
