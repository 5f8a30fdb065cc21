fn main() {
    std::process::exit(gotrace::cli::main());
}
