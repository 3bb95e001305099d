# Sourced by the benchmarks of the shipped stack (checkpoint_shipped.sh,
# worktree_shipped.sh): copy_shipped_stack ROOT MIRRORS DEST copies this
# repository's environment (no build output, no secrets, no bytecode) into
# DEST and points its repos.toml at the local mirrors in MIRRORS.
copy_shipped_stack() {
  local root=$1 mirrors=$2 dest=$3
  (cd "$root" && tar -c --exclude=shared/docs/_build --exclude=shared/docs/party \
     --exclude='*/admin-password' --exclude=__pycache__ \
     tasks.toml repos.toml docker-compose.yml docker-compose.docs.yml .env.example \
     Dockerfiles offline shared/config shared/docs) | tar -x -C "$dest"
  bash "$root/offline/use-mirrors" "$mirrors" "$dest" >/dev/null
}

# start_shipped_stack XTASK PROJECT [SED_EXPR...]: in the current folder
# (a copy made above), `update`, then the local bases and PROJECT in .env
# (and the extra sed expressions), `build` (cached), `up --wait` and
# `db rebuild --demo`.
start_shipped_stack() {
  local xtask=$1 project=$2; shift 2
  local extra=()
  for expression in "$@"; do extra+=(-e "$expression"); done
  echo "update, build (cached), up, db rebuild --demo (project $project)" >&2
  "$xtask" update >/dev/null 2>&1
  sed -i -e 's#^PYTHON_IMAGE=.*#PYTHON_IMAGE=xtask-local/python:3.11#' \
         -e 's#^POSTGRES_IMAGE=.*#POSTGRES_IMAGE=xtask-local/postgres:15#' \
         -e "s#^COMPOSE_PROJECT_NAME=.*#COMPOSE_PROJECT_NAME=$project#" "${extra[@]}" .env
  "$xtask" build >/dev/null 2>&1
  "$xtask" up --wait --wait-timeout 600 >/dev/null 2>&1
  "$xtask" --yes db rebuild --demo >/dev/null 2>&1
}
