//! `xtask images build|tag|push`: the images of `[images]` in tasks.toml,
//! built per matrix cell in dependency order, tagged, and pushed to the
//! registry their names hold.

use crate::commands::Context;
use crate::error::{Error, Result};
use crate::images::image_plan::{self, ImagePlanError};

/// Build, tag and push the images of [images] in tasks.toml
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  cargo xtask -C examples/overwatch images build              every image, bases first, every matrix cell
  cargo xtask -C examples/overwatch images build overwatch --dry-run   base image included
  cargo xtask -C examples/overwatch images tag                every `latest` image also as `stable`
  cargo xtask -C examples/overwatch images push --tag 2.3.0
(this repository's stack builds its images with `cargo xtask build`; examples/overwatch has [images])")]
pub struct ImagesArgs {
    #[command(subcommand)]
    pub command: ImagesCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ImagesCommand {
    /// Build images (and the images they build on), one build per matrix cell
    #[command(after_help = "Examples:
  cargo xtask -C examples/overwatch images build
  cargo xtask -C examples/overwatch images build overwatch --tag 2.3.0
  cargo xtask -C examples/overwatch images build overwatch --no-deps   its base as it is")]
    Build {
        #[command(flatten)]
        chosen: ImagesAtTag,
        /// Build only the images named, not the images they build on
        #[arg(long)]
        no_deps: bool,
        /// Build without the cache
        #[arg(long)]
        no_cache: bool,
    },
    /// Tag built images again: every `latest` also as `stable` by default
    #[command(after_help = "Examples:
  cargo xtask -C examples/overwatch images tag                     latest -> stable, every image
  cargo xtask -C examples/overwatch images tag --tag 2.3.0 overwatch   latest -> 2.3.0
  cargo xtask -C examples/overwatch images tag --pull --push       as Indico's make-image-tags.sh, on the registry")]
    Tag {
        /// Images of [images] (default: every one)
        #[arg(value_name = "IMAGE")]
        images: Vec<String>,
        /// The new tag
        #[arg(long, value_name = "TAG", default_value = "stable")]
        tag: String,
        /// The tag to start from
        #[arg(long, value_name = "TAG", default_value = "latest")]
        from: String,
        /// Pull each image from its registry first
        #[arg(long)]
        pull: bool,
        /// Push each new tag to its registry
        #[arg(long)]
        push: bool,
    },
    /// Push images to the registry their names hold
    #[command(after_help = "Examples:
  cargo xtask -C examples/overwatch images push
  cargo xtask -C examples/overwatch images push --tag 2.3.0 overwatch")]
    Push {
        #[command(flatten)]
        chosen: ImagesAtTag,
    },
}

/// The images `build` and `push` work on, and their tag.
#[derive(Debug, clap::Args)]
pub struct ImagesAtTag {
    /// Images of [images] (default: every one)
    #[arg(value_name = "IMAGE")]
    images: Vec<String>,
    /// The tag, filled into the tag templates as {tag}
    #[arg(
        long,
        value_name = "TAG",
        default_value = "latest",
        env = "XTASK_IMAGES_TAG"
    )]
    tag: String,
}

impl ImagesArgs {
    pub fn run(self, ctx: &Context) -> Result<()> {
        let workspace = ctx.workspace()?;
        let plan = match &self.command {
            ImagesCommand::Build {
                chosen: ImagesAtTag { images, tag },
                no_deps,
                no_cache,
            } => {
                image_plan::check_tag(tag).map_err(plan_error)?;
                let order = image_plan::order(workspace, images, !no_deps).map_err(plan_error)?;
                image_plan::build_plan(workspace, &order, tag, *no_cache)
            }
            ImagesCommand::Tag {
                images,
                tag,
                from,
                pull,
                push,
            } => {
                image_plan::check_tag(tag).map_err(plan_error)?;
                image_plan::check_tag(from).map_err(plan_error)?;
                if tag == from {
                    return Err(Error::usage_with_help(
                        format!("--tag and --from are both `{tag}`"),
                        "give the new tag with --tag (default `stable`) and the existing one with --from (default `latest`)",
                    ));
                }
                let order = image_plan::order(workspace, images, false).map_err(plan_error)?;
                image_plan::tag_plan(workspace, &order, from, tag, *pull, *push)
            }
            ImagesCommand::Push {
                chosen: ImagesAtTag { images, tag },
            } => {
                image_plan::check_tag(tag).map_err(plan_error)?;
                let order = image_plan::order(workspace, images, false).map_err(plan_error)?;
                image_plan::push_plan(workspace, &order, tag)
            }
        };
        ctx.require_engine()?;
        ctx.execute(&plan)
    }
}

fn plan_error(error: ImagePlanError) -> Error {
    let help = match &error {
        ImagePlanError::Unknown {
            closest: Some(close),
            names,
            ..
        } => format!("did you mean `{close}`? images: {}", names.join(", ")),
        ImagePlanError::Unknown { names, .. } => format!("images: {}", names.join(", ")),
        ImagePlanError::Cycle(_) => {
            "an image cannot be built before itself: change a FROM line or a depends".into()
        }
        ImagePlanError::BadTag { .. } => {
            "tags are letters, digits, `_`, `.` and `-`, starting with a letter, digit or `_`"
                .into()
        }
        ImagePlanError::NoImages => {
            "see README.md, Images: [images.app] with a Dockerfile is enough".into()
        }
    };
    Error::usage_with_help(crate::ui::sanitize_for_terminal(&error.to_string()), help)
}
