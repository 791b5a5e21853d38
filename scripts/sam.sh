#!/usr/bin/env bash
# SAM tooling in its own virtual environment.
#
# aws-sam-cli pins boto3, click, requests and cfn-lint versions that fight the app's, so it
# lives in .sam-venv (created on first use) and never in .venv. Everything here works
# offline: `sam validate --lint` needs only a region, `sam build` runs without a container.
#
#   bash scripts/sam.sh validate   # sam validate --lint + cfn-lint template.yaml
#   bash scripts/sam.sh build      # sam build, then the unzipped size of each function/layer
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SAM_VENV="${SAM_VENV:-$ROOT/.sam-venv}"
PY="${PY:-python3}"
# Pinned: a newer cfn-lint may start flagging what passes today (e.g. RDS engine versions).
SAM_CLI_SPEC="${SAM_CLI_SPEC:-aws-sam-cli==1.170.0 cfn-lint==1.58.0}"
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

ensure_sam() {
  local stamp="$SAM_VENV/.spec"
  if [[ ! -x "$SAM_VENV/bin/sam" || "$(cat "$stamp" 2>/dev/null)" != "$SAM_CLI_SPEC" ]]; then
    echo "installing $SAM_CLI_SPEC into $SAM_VENV (first use only)" >&2
    [[ -x "$SAM_VENV/bin/python" ]] || "$PY" -m venv "$SAM_VENV"
    "$SAM_VENV/bin/python" -m pip install -q --upgrade pip
    # shellcheck disable=SC2086  # the spec is a list of requirements
    "$SAM_VENV/bin/python" -m pip install -q $SAM_CLI_SPEC
    echo "$SAM_CLI_SPEC" > "$stamp"
  fi
}

cfn_lint() {
  # The app's venv has cfn-lint too; prefer the SAM venv's copy (the version sam expects).
  if [[ -x "$SAM_VENV/bin/cfn-lint" ]]; then
    "$SAM_VENV/bin/cfn-lint" "$@"
  else
    "$ROOT/.venv/bin/cfn-lint" "$@"
  fi
}

human() {
  awk -v b="$1" 'BEGIN { split("B KiB MiB GiB", u); i = 1; while (b >= 1024 && i < 4) { b /= 1024; i++ } printf "%.1f %s", b, u[i] }'
}

cmd_validate() {
  ensure_sam
  "$SAM_VENV/bin/sam" validate --lint --template-file template.yaml --region "$AWS_DEFAULT_REGION"
  cfn_lint template.yaml
  echo "template.yaml: sam validate --lint and cfn-lint passed"
}

cmd_build() {
  ensure_sam
  "$SAM_VENV/bin/sam" build --template-file template.yaml --region "$AWS_DEFAULT_REGION" "$@"
  echo
  echo "Unzipped sizes in .aws-sam/build (Lambda limit: 250 MB for a function plus its layers):"
  local total=0
  for dir in .aws-sam/build/*/; do
    local name bytes
    name="$(basename "$dir")"
    bytes="$(du -sb "$dir" | cut -f1)"
    printf "  %-28s %12s\n" "$name" "$(human "$bytes")"
  done
}

case "${1:-}" in
  validate) shift; cmd_validate "$@" ;;
  build) shift; cmd_build "$@" ;;
  *) echo "usage: bash scripts/sam.sh validate|build [sam build args]" >&2; exit 2 ;;
esac
