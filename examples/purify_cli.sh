#!/usr/bin/env bash
# The CLI flow in four commands: train a backdoored model, purify it, measure both.
#   bash examples/purify_cli.sh DATA OUT [TRAIN_SIZE EPOCHS CLEAN_FRACTION]
# DATA is 'fashion-mnist' (the full set when installed, else the committed subset) or a directory of IDX files.
# In a user's project `tsbd` is `npx tsbd` (the package's bin); here it is the built CLI of this checkout.
set -euo pipefail
data=$1 out=$2 train_size=${3:-57000} epochs=${4:-3} clean_fraction=${5:-0.05}
tsbd() { node "$(dirname "$0")/../dist/cli.js" "$@"; }

# An attacker plants a BadNets backdoor: a 3x3 white patch at row 21, column 3 sends images to class 2.
tsbd attack --data "$data" --arch small-cnn --patch-pos 21,3 --target 2 --poison-rate 0.1 --seed 0 \
  --train-size "$train_size" --epochs "$epochs" --out "$out/backdoored" --force --quiet
# The defender holds a clean share of the training split (the CLI's default draw: the first CLEAN_FRACTION of the seed-0
# shuffle, images the attacker also trained on; `--skip-first TRAIN_SIZE` would draw images it never saw, see the
# README) and nothing poisoned; n is chosen from it.
tsbd purify --model "$out/backdoored" --data "$data" --clean-fraction "$clean_fraction" --seed 0 --out "$out/purified" --force --quiet
tsbd eval --model "$out/backdoored" --data "$data" --attack "$out/backdoored/attack.json" --json > "$out/before.json"
tsbd eval --model "$out/purified" --data "$data" --attack "$out/backdoored/attack.json" --json > "$out/after.json"
