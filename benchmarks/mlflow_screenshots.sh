#!/usr/bin/env bash
# Screenshots of the MLflow UI for a sweep, with headless Chromium (apt-get install chromium).
#   benchmarks/mlflow_screenshots.sh sqlite:////abs/path/mlflow.db EXPERIMENT OUT_DIR
# Serves the store on 127.0.0.1 only, finds the sweep's parent run and its children through the
# REST API, and writes: compare.png (children compared), parent.png (the parent run),
# parent_chart.png (its learned_mean chart), artifacts.png (the data-efficiency plot).
set -euo pipefail
STORE=$1; EXPERIMENT=$2; OUT=$3
PORT=${PORT:-5055}
mkdir -p "$OUT"
.venv/bin/mlflow server --backend-store-uri "$STORE" --host 127.0.0.1 --port "$PORT" > "$OUT/mlflow-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break; sleep 1; done
IDS=$(.venv/bin/python - "$PORT" "$EXPERIMENT" <<'PY'
import json, sys, urllib.request
port, name = sys.argv[1], sys.argv[2]
def get(path):
    return json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/2.0/mlflow/{path}"))
exp = get(f"experiments/get-by-name?experiment_name={name}")["experiment"]["experiment_id"]
req = urllib.request.Request(f"http://127.0.0.1:{port}/api/2.0/mlflow/runs/search",
                             data=json.dumps({"experiment_ids": [exp], "max_results": 200}).encode(),
                             headers={"Content-Type": "application/json"})
runs = json.load(urllib.request.urlopen(req))["runs"]
parent = next(r for r in runs if r["info"]["run_name"] == "sweep")["info"]["run_id"]
children = [r["info"]["run_id"] for r in runs
            if any(t["key"] == "mlflow.parentRunId" and t["value"] == parent for t in r["data"].get("tags", []))]
print(exp, parent, json.dumps(children).replace(" ", ""))
PY
)
read -r EXP PARENT CHILDREN <<< "$IDS"
BASE="http://127.0.0.1:$PORT/#"
shot() {  # url, file
  chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1600,1100 \
    --virtual-time-budget=20000 --screenshot="$OUT/$2" "$1" > /dev/null 2>&1
}
shot "$BASE/compare-runs?runs=$CHILDREN&experiments=[\"$EXP\"]" compare.png
shot "$BASE/experiments/$EXP/runs/$PARENT" parent.png
shot "$BASE/experiments/$EXP/runs/$PARENT/model-metrics" parent_chart.png
shot "$BASE/experiments/$EXP/runs/$PARENT/artifacts/data_efficiency.png" artifacts.png
shot "$BASE/experiments/$EXP" experiment.png
ls -la "$OUT"
