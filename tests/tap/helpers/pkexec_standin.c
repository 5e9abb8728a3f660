// SPDX-License-Identifier: Apache-2.0
// Stands in for pkexec in tests: installed setuid root by the test, it runs its arguments as root
// with PKEXEC_UID set to the caller, as pkexec does after authorization. Never installed.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pkexec-standin PROGRAM [ARG...]\n");
        return 127;
    }
    char uid[32];
    snprintf(uid, sizeof uid, "%u", (unsigned)getuid());
    if (setenv("PKEXEC_UID", uid, 1) != 0 || setgid(0) != 0 || setuid(0) != 0) {
        perror("pkexec-standin: becoming root");
        return 127;
    }
    execv(argv[1], argv + 1);
    perror("pkexec-standin: exec");
    return 127;
}
