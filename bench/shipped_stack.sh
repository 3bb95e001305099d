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
