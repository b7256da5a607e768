#!/usr/bin/env bash
# CI check: regenerates the protobuf code and fails if the committed output differs
# (changed, missing or extra files among the generated paths).
set -euo pipefail

cd "$(dirname "$0")/.."
GENERATED_PATHS=(
    Sources/StewardProtoC
    Sources/StewardWire/Generated
    Tests/StewardTestProtoC
    Tests/StewardWireTests/Generated
    clients/python/steward_client/_descriptor_set.py
)

bash scripts/generate-protos.sh

changes=$(git status --porcelain --untracked-files=all -- "${GENERATED_PATHS[@]}")
if [[ -n $changes ]]; then
    {
        echo "error: the generated protobuf code is out of date."
        echo "Run scripts/generate-protos.sh and commit the result. Differences:"
        echo "$changes"
        git --no-pager diff --stat -- "${GENERATED_PATHS[@]}"
    } >&2
    exit 1
fi
echo "check-generated.sh: generated code matches the .proto files"
