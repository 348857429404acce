#!/usr/bin/env bash
# Screenshots of the MLflow UI for a study, with headless Chromium (apt-get install chromium).
#   benchmarks/mlflow_screenshots.sh sqlite:////abs/path/mlflow.db EXPERIMENT OUT_DIR [RUN_NAME]
# Serves the store on 127.0.0.1 only, finds the latest run named RUN_NAME (default: sweep) and its
# children through the REST API, and writes: compare.png (children compared), parent.png (the
# run), parent_chart.png (its metric charts), experiment.png, and artifact-<name>.png for each
# PNG the run logged (data-efficiency curve, accuracy per task, tool usage, learning curves).
set -euo pipefail
STORE=$1; EXPERIMENT=$2; OUT=$3; RUN_NAME=${4:-sweep}
PORT=${PORT:-5055}
mkdir -p "$OUT"
.venv/bin/mlflow server --backend-store-uri "$STORE" --host 127.0.0.1 --port "$PORT" > "$OUT/mlflow-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break; sleep 1; done
IDS=$(.venv/bin/python - "$PORT" "$EXPERIMENT" "$RUN_NAME" <<'PY'
import json, sys, urllib.request
port, name, run_name = sys.argv[1], sys.argv[2], sys.argv[3]
def get(path):
    return json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/2.0/mlflow/{path}"))
exp = get(f"experiments/get-by-name?experiment_name={name}")["experiment"]["experiment_id"]
req = urllib.request.Request(f"http://127.0.0.1:{port}/api/2.0/mlflow/runs/search",
                             data=json.dumps({"experiment_ids": [exp], "max_results": 200,
                                              "order_by": ["attributes.start_time DESC"]}).encode(),
                             headers={"Content-Type": "application/json"})
runs = json.load(urllib.request.urlopen(req))["runs"]
parent = next(r for r in runs if r["info"]["run_name"] == run_name)["info"]["run_id"]
children = [r["info"]["run_id"] for r in runs
            if any(t["key"] == "mlflow.parentRunId" and t["value"] == parent for t in r["data"].get("tags", []))]
def pngs(path=""):
    listing = get(f"artifacts/list?run_id={parent}" + (f"&path={path}" if path else ""))
    out = []
    for f in listing.get("files", []):
        out += pngs(f["path"]) if f["is_dir"] else [f["path"]] if f["path"].endswith(".png") else []
    return out
print(exp, parent, json.dumps(children).replace(" ", ""), ",".join(pngs()))
PY
)
read -r EXP PARENT CHILDREN PNGS <<< "$IDS"
BASE="http://127.0.0.1:$PORT/#"
shot() {  # url, file
  # a fresh profile per shot: a chromium left running would otherwise take the call and write nothing
  chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1600,1100 \
    --user-data-dir="$(mktemp -d)" \
    --virtual-time-budget=20000 --screenshot="$OUT/$2" "$1" >> "$OUT/chromium.log" 2>&1
}
shot "$BASE/compare-runs?runs=$CHILDREN&experiments=[\"$EXP\"]" compare.png
shot "$BASE/experiments/$EXP/runs/$PARENT" parent.png
shot "$BASE/experiments/$EXP/runs/$PARENT/model-metrics" parent_chart.png
for png in ${PNGS//,/ }; do
  shot "$BASE/experiments/$EXP/runs/$PARENT/artifacts/$png" "artifact-$(basename "$png")"
done
shot "$BASE/experiments/$EXP" experiment.png
ls -la "$OUT"
