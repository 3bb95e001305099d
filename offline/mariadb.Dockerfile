# What a stack expects of the official mariadb (and mysql) image, for the
# local base: MARIADB_ROOT_PASSWORD or MYSQL_ROOT_PASSWORD (or
# *_ALLOW_EMPTY_ROOT_PASSWORD / *_RANDOM_ROOT_PASSWORD), MARIADB_DATABASE or
# MYSQL_DATABASE, MARIADB_USER/MYSQL_USER with MARIADB_PASSWORD/
# MYSQL_PASSWORD, the scripts of /docker-entrypoint-initdb.d (*.sh, *.sql,
# *.sql.gz, *.sql.zst) on first start, data in /var/lib/mysql, port 3306.
ARG BASE=xtask-local/base:bookworm
FROM ${BASE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      mariadb-server mariadb-client mariadb-backup zstd gzip >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/lib/mysql \
 && mkdir -p /var/lib/mysql /run/mysqld /docker-entrypoint-initdb.d \
 && chown mysql:mysql /var/lib/mysql /run/mysqld
COPY mariadb-entrypoint /usr/local/bin/docker-entrypoint.sh
COPY mariadb-healthcheck /usr/local/bin/healthcheck.sh
VOLUME /var/lib/mysql
EXPOSE 3306
# mariadbd shuts down cleanly on SIGTERM (as the official image declares).
STOPSIGNAL SIGTERM
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["mariadbd"]
