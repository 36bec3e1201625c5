/*
 * main.c: ocmctl, control a running ocmd.  The foundation release builds libocm and
 * its tests; this program only answers --help and --version until the
 * issue that implements it lands.
 */
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("ocmctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: ocmctl [--help] [--version]\n"
		    "control a running ocmd (not functional in %s %s yet)\n", PACKAGE_NAME, PACKAGE_VERSION);
		return 0;
	}
	fprintf(stderr, "ocmctl: not functional in %s %s yet; see README.md\n",
	    PACKAGE_NAME, PACKAGE_VERSION);
	return 1;
}
