//! Which database engine an environment runs (`[db] engine`, else the
//! server service's image), and what differs by engine at the edge: the
//! clients' names, the password variable they read, the default user.

use crate::config::db::EngineSpec;

/// The engine the `db` commands plan for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Mysql,
    Mariadb,
}

/// The engine and why it was chosen (for `describe` and messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineChoice {
    pub engine: Engine,
    pub reason: String,
}

impl From<EngineSpec> for Engine {
    fn from(spec: EngineSpec) -> Self {
        match spec {
            EngineSpec::Postgres => Engine::Postgres,
            EngineSpec::Mysql => Engine::Mysql,
            EngineSpec::Mariadb => Engine::Mariadb,
        }
    }
}

impl Engine {
    /// Its name as `[db] engine` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::Mariadb => "mariadb",
        }
    }

    /// Whether it is MySQL or MariaDB (one family of plans).
    pub fn is_mysql_family(self) -> bool {
        self != Engine::Postgres
    }

    /// The variable its clients read the password from: by name into the
    /// container, never on a command line (`ps` and `docker inspect` show
    /// neither the value nor an option file's path).
    pub fn password_variable(self) -> &'static str {
        match self {
            Engine::Postgres => "PGPASSWORD",
            Engine::Mysql | Engine::Mariadb => "MYSQL_PWD",
        }
    }

    /// The user the tools connect as when `[db] user` says nothing.
    pub fn default_user(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql | Engine::Mariadb => "root",
        }
    }

    /// The interactive client (`db shell`).
    pub fn client(self) -> &'static str {
        match self {
            Engine::Postgres => "psql",
            Engine::Mysql => "mysql",
            Engine::Mariadb => "mariadb",
        }
    }

    /// The dump tool of the MySQL family.
    pub fn dump_tool(self) -> &'static str {
        match self {
            Engine::Postgres => "pg_dump",
            Engine::Mysql => "mysqldump",
            Engine::Mariadb => "mariadb-dump",
        }
    }

    /// The engine an image's name says (`mariadb`, `mysql` in its last
    /// path component, tag and registry left out), if any.
    pub fn of_image(image: &str) -> Option<Self> {
        let name = image.rsplit('/').next().unwrap_or(image);
        let name = name.split([':', '@']).next().unwrap_or(name).to_lowercase();
        if name.contains("mariadb") {
            Some(Engine::Mariadb)
        } else if name.contains("mysql") {
            Some(Engine::Mysql)
        } else if name.contains("postgres") || name.contains("postgis") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }
}

impl EngineChoice {
    /// `[db] engine` when set, else what the server's image says, else Postgres.
    pub fn resolve(configured: Option<EngineSpec>, server: &str, image: Option<&str>) -> Self {
        if let Some(spec) = configured {
            return Self {
                engine: spec.into(),
                reason: "[db] engine".into(),
            };
        }
        match image.map(|i| (i, Engine::of_image(i))) {
            Some((image, Some(engine))) => Self {
                engine,
                reason: format!("the image of service `{server}`: {image}"),
            },
            _ => Self {
                engine: Engine::Postgres,
                reason: format!(
                    "the default: service `{server}` has no mysql or mariadb image and [db] engine is not set"
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_names_the_engine() {
        assert_eq!(
            Engine::of_image("xtask-local/mariadb:10.11"),
            Some(Engine::Mariadb)
        );
        assert_eq!(Engine::of_image("mysql:8.0"), Some(Engine::Mysql));
        assert_eq!(
            Engine::of_image("docker.io/library/postgres:15"),
            Some(Engine::Postgres)
        );
        assert_eq!(Engine::of_image("mysql/mysql-server"), Some(Engine::Mysql));
        assert_eq!(Engine::of_image("registry:5000/mysqlish/app:mariadb"), None);
    }

    #[test]
    fn the_key_wins_over_the_image() {
        let choice = EngineChoice::resolve(Some(EngineSpec::Mysql), "db", Some("mariadb:11"));
        assert_eq!(choice.engine, Engine::Mysql);
        let choice = EngineChoice::resolve(None, "db", Some("mariadb:11"));
        assert_eq!(choice.engine, Engine::Mariadb);
        assert_eq!(choice.reason, "the image of service `db`: mariadb:11");
        assert_eq!(
            EngineChoice::resolve(None, "db", None).engine,
            Engine::Postgres
        );
    }
}
