fn main() {
    println!("perfgate: under construction");
}
