# What the stack expects of the official postgres image: POSTGRES_PASSWORD,
# POSTGRES_USER and POSTGRES_DB on first start, data in PGDATA, port 5432.
ARG BASE=xtask-local/base:bookworm
FROM ${BASE}
ENV PGDATA=/var/lib/postgresql/data PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY postgres-entrypoint /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
EXPOSE 5432
# Postgres's fast shutdown, as in the official image: SIGTERM would wait for
# every client to disconnect, and `docker stop` kills it after 10 s.
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
