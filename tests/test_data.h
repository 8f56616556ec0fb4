/* test_data.h - where the tests find ../shared/data (real captures and
 * reference files; TW_DATA_DIR is set by CMake). A test that needs the data
 * calls test_data_path(); when the folder is missing it skips with a clear
 * message, except under CI (CI set in the environment), where it fails. */
#ifndef TEST_DATA_H
#define TEST_DATA_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#ifndef TW_DATA_DIR
#define TW_DATA_DIR "../shared/data"
#endif

/* Full path of rel (e.g. "itch/x.bin") under the data folder, in buf.
 * Calls cmocka's skip() or fail() when the folder itself is missing. */
#define test_data_path(buf, rel)                                                     \
	do {                                                                         \
		struct stat st_;                                                     \
		if (stat(TW_DATA_DIR, &st_) != 0) {                                  \
			print_message("shared data not found at %s "                 \
				      "(set -DTW_DATA_DIR=...)\n", TW_DATA_DIR);     \
			if (getenv("CI"))                                            \
				fail();                                              \
			skip();                                                      \
		}                                                                    \
		snprintf((buf), sizeof(buf), "%s/%s", TW_DATA_DIR, (rel));           \
	} while (0)

/* For a test program whose every case needs the data: 0 when the folder is
 * there; otherwise prints why and returns the exit status to use (77 skip,
 * or 1 under CI). Call first in main(). */
static inline int test_data_require(void)
{
	struct stat st;

	if (stat(TW_DATA_DIR, &st) == 0)
		return 0;
	printf("shared data not found at %s (set -DTW_DATA_DIR=...)\n", TW_DATA_DIR);
	return getenv("CI") ? 1 : 77;
}

#endif /* TEST_DATA_H */
