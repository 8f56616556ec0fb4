/* test_fs.h - test helpers for fake /proc and /sys trees: a temporary root
 * folder and files written below it. Test programs only; one thread. */
#ifndef TEST_FS_H
#define TEST_FS_H

#include <stdio.h>
#include <stdlib.h>

/* mkdtemp a root under /tmp named after the test into root[len]. 0 or -1. */
static inline int test_fs_mkroot(char *root, size_t len, const char *name)
{
	snprintf(root, len, "/tmp/tw_%s_XXXXXX", name);
	return mkdtemp(root) ? 0 : -1;
}

/* rm -rf the root. 0 or -1. */
static inline int test_fs_rmroot(const char *root)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text to root/rel, creating folders. 0 or -1. */
static inline int test_fs_put(const char *root, const char *rel, const char *text)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	if (system(cmd) != 0)
		return -1;
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

#endif /* TEST_FS_H */
