// Compile-cost probe: nothing (the compiler's own start-up).
int probe() { return 0; }
