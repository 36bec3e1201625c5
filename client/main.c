/*
 * main.c: ocm-client, the OCM terminal chat client.  The foundation release builds libocm and
 * its tests; this program only answers --help and --version until the
 * issue that implements it lands.
 */
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("ocm-client (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: ocm-client [--help] [--version]\n"
		    "the OCM terminal chat client (not functional in %s %s yet)\n", PACKAGE_NAME, PACKAGE_VERSION);
		return 0;
	}
	fprintf(stderr, "ocm-client: not functional in %s %s yet; see README.md\n",
	    PACKAGE_NAME, PACKAGE_VERSION);
	return 1;
}
