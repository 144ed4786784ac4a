/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for systemd's notification socket in the tests: binds a
 * datagram socket at the path given and appends each message received to
 * the output file, one line per message (newlines inside a message become
 * spaces), until killed.  Usage: notify-recv SOCKET OUTFILE.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un addr;
	char buf[4096];
	ssize_t n, i;
	FILE *out;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: notify-recv SOCKET OUTFILE\n");
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strcpy(addr.sun_path, argv[1]);
	unlink(argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("notify-recv: bind");
		return 1;
	}
	out = fopen(argv[2], "a");
	if (out == NULL) {
		perror("notify-recv: open");
		return 1;
	}
	for (;;) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			continue;
		for (i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = ' ';
		buf[n] = '\0';
		fprintf(out, "%s\n", buf);
		fflush(out);
	}
}
