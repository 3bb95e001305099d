# The Debian test base plus what the test/docs/debug fixtures use:
# Sphinx (docs --build), debugpy (debug), psycopg2 (tests that use the
# test database). Packages come from the Debian mirror in the base's
# sources, which containers reach.
ARG BASE=xtask-test/debian:1
FROM ${BASE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3-sphinx python3-debugpy python3-psycopg2 python3-pip >/dev/null \
 && rm -rf /var/lib/apt/lists/*
