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
