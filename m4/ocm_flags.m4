# OCM_CHECK_CFLAG(FLAG, [ACTION-IF-OK], [ACTION-IF-NOT])
# Compiles an empty program with FLAG (and -Werror, so that an unknown
# warning option counts as unsupported).
AC_DEFUN([OCM_CHECK_CFLAG], [
	AC_MSG_CHECKING([whether $CC accepts $1])
	ocm_save_CFLAGS="$CFLAGS"
	CFLAGS="$CFLAGS -Werror $1"
	AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
		[AC_MSG_RESULT([yes]); $2], [AC_MSG_RESULT([no]); $3])
	CFLAGS="$ocm_save_CFLAGS"
])

# OCM_CHECK_LDFLAG(FLAG, [ACTION-IF-OK], [ACTION-IF-NOT])
# Links an empty program with FLAG in both CFLAGS and LDFLAGS.
AC_DEFUN([OCM_CHECK_LDFLAG], [
	AC_MSG_CHECKING([whether $CC links with $1])
	ocm_save_CFLAGS="$CFLAGS"
	ocm_save_LDFLAGS="$LDFLAGS"
	CFLAGS="$CFLAGS $1"
	LDFLAGS="$LDFLAGS $1"
	AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
		[AC_MSG_RESULT([yes]); $2], [AC_MSG_RESULT([no]); $3])
	CFLAGS="$ocm_save_CFLAGS"
	LDFLAGS="$ocm_save_LDFLAGS"
])

# OCM_CHECK_LIBFUZZER([ACTION-IF-OK], [ACTION-IF-NOT])
# Links a fuzz target (LLVMFuzzerTestOneInput, no main) with
# -fsanitize=fuzzer, as the real targets are linked.
AC_DEFUN([OCM_CHECK_LIBFUZZER], [
	AC_MSG_CHECKING([whether $CC links libFuzzer targets])
	ocm_save_CFLAGS="$CFLAGS"
	ocm_save_LDFLAGS="$LDFLAGS"
	CFLAGS="$CFLAGS -fsanitize=fuzzer"
	LDFLAGS="$LDFLAGS -fsanitize=fuzzer"
	AC_LINK_IFELSE([AC_LANG_SOURCE([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{ (void)data; (void)size; return 0; }
]])], [AC_MSG_RESULT([yes]); $1], [AC_MSG_RESULT([no]); $2])
	CFLAGS="$ocm_save_CFLAGS"
	LDFLAGS="$ocm_save_LDFLAGS"
])
