/* first_event: the very first statement of main fires a probe.  Launch mode
 * must see it (the probes are attached before main runs). */
#include "mlprobe.h"

int main(void)
{
	MLPROBE_METRIC("first", 0, 42.0);
	MLPROBE_LOG(MLPROBE_INFO, "first log");
	for (int i = 1; i <= 10; i++)
		MLPROBE_METRIC("after", i, i * 0.25);
	return 0;
}
