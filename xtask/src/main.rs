fn main() {
    std::process::exit(xtask::run_to_exit_code());
}
