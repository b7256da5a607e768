#!/usr/bin/env bash
# Regenerates the C and Swift code for the .proto files, from the repository root:
#
#   proto/**/*.proto        -> Sources/StewardProtoC        (protoc-c output, umbrella header,
#                                                            descriptor accessors)
#                              Sources/StewardWire/Generated (Swift messages and services)
#                              clients/python/steward_client/_descriptor_set.py
#                                                           (the Python client's descriptor set)
#   Tests/Protos/**/*.proto -> Tests/StewardTestProtoC and Tests/StewardWireTests/Generated
#                              (test-only protos covering every field kind)
#
# Generated files are committed; scripts/check-generated.sh fails CI when they drift.
# Installs nothing: it checks for its tools and says what is missing.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/versions.sh
source scripts/versions.sh
PLUGIN="$PWD/scripts/protoc-gen-steward-swift"

check_tools() {
    local missing=()
    command -v protoc >/dev/null 2>&1 ||
        missing+=("protoc          (apt-get install protobuf-compiler)")
    command -v protoc-c >/dev/null 2>&1 ||
        missing+=("protoc-c        (apt-get install protobuf-c-compiler)")
    command -v python3 >/dev/null 2>&1 ||
        missing+=("python3         (apt-get install python3)")
    if command -v python3 >/dev/null 2>&1 &&
        ! python3 -c 'from google.protobuf.compiler import plugin_pb2' >/dev/null 2>&1; then
        missing+=("python protobuf (pip install protobuf)")
    fi
    if ((${#missing[@]})); then
        echo "generate-protos.sh: missing tools:" >&2
        printf '  %s\n' "${missing[@]}" >&2
        exit 1
    fi
    # Another compiler writes other code: refuse it rather than commit a
    # difference nobody asked for.
    if ! steward_check_generator_versions; then
        echo "generate-protos.sh: the generators above are not the pinned versions (scripts/versions.sh)" >&2
        exit 1
    fi
}

# remove_generated C_DIR C_MODULE SWIFT_DIR: deletes what a previous run wrote, so that
# files of a removed or renamed .proto do not linger.
remove_generated() {
    local c_dir=$1 c_module=$2 swift_dir=$3
    if [[ -d $c_dir ]]; then
        find "$c_dir" -type f \( -name '*.pb-c.c' -o -name '*.pb-c.h' -o -name descriptors.c \
            -o -path "$c_dir/include/$c_module.h" -o -path "$c_dir/include/module.modulemap" \) -delete
        find "$c_dir" -mindepth 1 -type d -empty -delete
    fi
    if [[ -d $swift_dir ]]; then
        find "$swift_dir" -type f -name '*.pb.swift' -delete
        find "$swift_dir" -mindepth 1 -type d -empty -delete
    fi
}

# generate PROTO_ROOT C_DIR C_MODULE SWIFT_DIR SWIFT_OPTIONS
# Copies each .proto file from $1 to $2 without its `service` blocks.
strip_services() {
    local from=$1 to=$2
    shift 2
    python3 - "$from" "$to" "$@" <<'PY'
import os, re, sys
source, target, files = sys.argv[1], sys.argv[2], sys.argv[3:]
for name in files:
    text = open(os.path.join(source, name)).read()
    out, i = [], 0
    for match in re.finditer(r"^service\s+\w+\s*\{", text, re.M):
        if match.start() < i:
            continue
        out.append(text[i:match.start()])
        depth, j = 0, match.end() - 1
        while True:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
            if depth == 0:
                break
        i = j
    out.append(text[i:])
    path = os.path.join(target, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write("".join(out))
PY
}

generate() {
    local root=$1 c_dir=$2 c_module=$3 swift_dir=$4 swift_options=$5
    local files=()
    mapfile -t files < <(cd "$root" && find . -type f -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
    if ((${#files[@]} == 0)); then
        echo "generate-protos.sh: no .proto files under $root" >&2
        exit 1
    fi
    remove_generated "$c_dir" "$c_module" "$swift_dir"
    mkdir -p "$c_dir/include" "$swift_dir"

    local protoc_plugin=(protoc --proto_path="$root" --plugin=protoc-gen-steward-swift="$PLUGIN")
    # Swift first: the plugin rejects what the project does not support (proto2, map<>, ...).
    "${protoc_plugin[@]}" --steward-swift_opt="mode=swift,c_module=$c_module,$swift_options" \
        --steward-swift_out="$swift_dir" "${files[@]}"
    "${protoc_plugin[@]}" --steward-swift_opt="mode=c,c_module=$c_module" \
        --steward-swift_out="$c_dir" "${files[@]}"

    local tmp="$WORK/$c_module"
    mkdir -p "$tmp"
    # protoc-c sees the messages only: Steward does not use protobuf-c's RPC
    # stubs, and they would not compile for a method named like a C keyword
    # (Connections.Register becomes a member called `register`).
    local messages_only="$WORK/$c_module-messages"
    strip_services "$root" "$messages_only" "${files[@]}"
    protoc-c --proto_path="$messages_only" --c_out="$tmp" "${files[@]}"
    local file base
    for file in "${files[@]}"; do
        base=${file%.proto}
        mkdir -p "$(dirname "$c_dir/include/$base")" "$(dirname "$c_dir/$base")"
        mv "$tmp/$base.pb-c.h" "$c_dir/include/$base.pb-c.h"
        mv "$tmp/$base.pb-c.c" "$c_dir/$base.pb-c.c"
    done
}

# generate_python PROTO_ROOT OUTPUT: the FileDescriptorSet of every .proto file under
# PROTO_ROOT, as a Python module from which the Python client builds its message classes
# at import time. Not protoc's Python output: a protobuf runtime much newer than protoc
# 3.21 may refuse that, and it registers in the process-wide pool, where it would clash
# with other copies of grpc/health/v1/health.proto.
generate_python() {
    local root=$1 output=$2
    local files=()
    mapfile -t files < <(cd "$root" && find . -type f -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
    protoc --proto_path="$root" --include_imports --descriptor_set_out="$WORK/python.binpb" "${files[@]}"
    python3 clients/python/tools/write_descriptor_module.py "$WORK/python.binpb" "$output"
}

check_tools
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
generate proto Sources/StewardProtoC StewardProtoC Sources/StewardWire/Generated \
    "source_root=proto/,registry=StewardProtoRegistry"
generate Tests/Protos Tests/StewardTestProtoC StewardTestProtoC Tests/StewardWireTests/Generated \
    "source_root=Tests/Protos/,registry=StewardTestProtoRegistry,import=StewardWire"
generate_python proto clients/python/steward_client/_descriptor_set.py
echo "generate-protos.sh: generated code is up to date with proto/ and Tests/Protos/"
