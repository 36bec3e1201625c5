/*
 * steer.c: the reuseport steering program (see steer.h).
 *
 * The program, in classic BPF; the packet starts at the UDP payload:
 *
 *	A = pkt[0]			RoomNameSize
 *	X = A
 *	A = pkt[X + 2]			first hex digit of the token
 *	A = A >= 'a' ? A - 87 : A - 48	its value
 *	M[0] = A << 4
 *	A = pkt[X + 3]			second hex digit
 *	A = A >= 'a' ? A - 87 : A - 48
 *	return A + M[0]			the socket's index in the group
 *
 * A load past the end makes the program return 0 (worker 0 drops what it
 * cannot authenticate); an index past the group's size makes the kernel
 * hash instead.  Neither can bring a datagram to a worker that would
 * accept it wrongly: every worker authenticates everything it reads.
 */
#include "daemon/relay/steer.h"

#include <errno.h>
#include <linux/filter.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/token.h"

static int
hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
steer_token_worker(const uint8_t *token)
{
	int hi = hex_value(token[0]), lo = hex_value(token[1]);

	return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
}

void
steer_token_mark(char *token, unsigned w)
{
	static const char hex[] = "0123456789abcdef";

	token[0] = hex[(w >> 4) & 0x0f];
	token[1] = hex[w & 0x0f];
}

int
steer_attach(int fd)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, 2),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 'a', 0, 2),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 'a' - 10),
		BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, '0'),
		BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 4),
		BPF_STMT(BPF_ST, 0),
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, 3),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 'a', 0, 2),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 'a' - 10),
		BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, '0'),
		BPF_STMT(BPF_LDX | BPF_MEM, 0),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog;

	/*
	 * Zeroed first: the kernel is handed the whole structure, padding
	 * after len included, which an initializer leaves as it was (and
	 * valgrind rightly reports).
	 */
	memset(&prog, 0, sizeof(prog));
	prog.len = sizeof(code) / sizeof(code[0]);
	prog.filter = code;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0)
		return -errno;
	return 0;
}
