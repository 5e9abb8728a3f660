// SPDX-License-Identifier: Apache-2.0
// Runs a libFuzzer-style target without libFuzzer, so every build (g++ included) fuzzes in CTest.
//
// It replays the seed corpus, then mutates seeds for a bounded number of iterations with a fixed
// random seed, so a failure reproduces exactly. Crashes, sanitizer reports and hangs fail the test;
// a clang build can link the same target with -fsanitize=fuzzer for open-ended fuzzing
// (scripts/fuzz.sh).
#include <QByteArray>
#include <QDir>
#include <QDirIterator>
#include <QFile>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

namespace {

// Tokens that steer mutations towards the grammar the parsers care about.
const char *const kDictionary[] = {
    "\"",
    "\\",
    "\n",
    ":",
    "=",
    "{",
    "}",
    "[",
    "]",
    ",",
    "\x00",
    "%",
    "/",
    "..",
    "-1",
    "0",
    "4294967296",
    "18446744073709551616",
    "1e999",
    "null",
    "true",
    "&a",
    "*a",
    "<<: *a",
    "- ",
    "  ",
    "\t",
    "0x",
    "ip:",
    "node:",
    "::",
    "\xff\xfe",
    "\xc3\xa9",
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "interface",
    "ips",
    "mac",
};

QByteArray mutate(QByteArray input, std::mt19937_64 &rng)
{
    std::uniform_int_distribution<int> op(0, 6);
    const int rounds = 1 + int(rng() % 8);
    for (int i = 0; i < rounds; ++i) {
        const qsizetype size = input.size();
        const qsizetype pos = size == 0 ? 0 : qsizetype(rng() % std::uint64_t(size + 1));
        switch (op(rng)) {
        case 0: // flip a bit
            if (size > 0) {
                input[pos % size] = char(input[pos % size] ^ char(1u << (rng() % 8)));
            }
            break;
        case 1: // random byte
            input.insert(pos, char(rng() % 256));
            break;
        case 2: // delete a range
            if (size > 0) {
                input.remove(pos % size, qsizetype(1 + rng() % 16));
            }
            break;
        case 3: { // dictionary token
            const char *token = kDictionary[rng() % (sizeof(kDictionary) / sizeof(kDictionary[0]))];
            input.insert(pos, QByteArray(token, token[0] == 0 ? 1 : qsizetype(std::strlen(token))));
            break;
        }
        case 4: // duplicate a chunk (nesting, repetition)
            if (size > 0) {
                const qsizetype from = qsizetype(rng() % std::uint64_t(size));
                input.insert(pos, input.mid(from, qsizetype(1 + rng() % 64)));
            }
            break;
        case 5: // truncate
            input.truncate(pos);
            break;
        default: // blow up: long run of one byte
            input.insert(pos, QByteArray(qsizetype(1 + rng() % 4096), char(rng() % 256)));
            break;
        }
        if (input.size() > (1 << 20)) {
            input.truncate(1 << 20);
        }
    }
    return input;
}

// The input being run, so a crash can leave it behind for reproduction.
const char *g_input = nullptr;
std::size_t g_inputSize = 0;

void run(const QByteArray &input)
{
    g_input = input.constData();
    g_inputSize = std::size_t(input.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(input.constData()), std::size_t(input.size()));
    g_input = nullptr;
}

/// Writes the crashing input to ./crash-input (what libFuzzer would call crash-<sha1>) and dies with
/// the original signal. Only async-signal-safe calls here.
void onCrash(int signal)
{
    if (g_input) {
        const int fd = ::open("crash-input", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ssize_t ignored = ::write(fd, g_input, g_inputSize);
            (void)ignored;
            ::close(fd);
        }
        const char note[] = "fuzz: the crashing input is in ./crash-input; rerun with it as the corpus directory's "
                            "only file and 0 iterations\n";
        ssize_t ignored = ::write(2, note, sizeof note - 1);
        (void)ignored;
    }
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

} // namespace

int main(int argc, char **argv)
{
    for (const int signal : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
        std::signal(signal, onCrash);
    }
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
        return 2;
    }
    const long iterations = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 20000;
    std::vector<QByteArray> seeds;
    QDirIterator it(QString::fromLocal8Bit(argv[1]), QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile file(it.next());
        if (file.open(QIODevice::ReadOnly)) {
            seeds.push_back(file.readAll());
        }
    }
    if (seeds.empty()) {
        std::fprintf(stderr, "fuzz: no seeds in %s: a fuzz run without a corpus proves nothing\n", argv[1]);
        return 1;
    }
    for (const QByteArray &seed : seeds) {
        run(seed);
    }
    std::mt19937_64 rng(0x70647461ULL); // fixed: failures reproduce
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < iterations; ++i) {
        run(mutate(seeds[std::size_t(rng() % seeds.size())], rng));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "fuzz: %zu seeds and %ld mutated inputs ran without a crash in %.1f s\n", seeds.size(), iterations, seconds);
    return 0;
}
