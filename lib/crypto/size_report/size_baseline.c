/* Baseline for the size report: the same link (startup, newlib-nano, nosys) with an empty main.
 * edge_verify_size_report minus this is what the verify path itself costs. */
volatile int edge_baseline_result;

int main(void) { return edge_baseline_result; }
