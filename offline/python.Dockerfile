# What the stack's Dockerfiles expect of the official python image:
# `python` and `pip` on PATH, installing into the interpreter's site-packages.
ARG BASE=xtask-local/base:bookworm
FROM ${BASE}
ENV PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1
RUN ln -sf /usr/bin/python3 /usr/local/bin/python && ln -sf /usr/bin/pip3 /usr/local/bin/pip
CMD ["python3"]
