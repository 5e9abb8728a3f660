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
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

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

} // namespace

int main(int argc, char **argv)
{
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
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(seed.constData()), std::size_t(seed.size()));
    }
    std::mt19937_64 rng(0x70647461ULL); // fixed: failures reproduce
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < iterations; ++i) {
        const QByteArray input = mutate(seeds[std::size_t(rng() % seeds.size())], rng);
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(input.constData()), std::size_t(input.size()));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "fuzz: %zu seeds and %ld mutated inputs ran without a crash in %.1f s\n", seeds.size(), iterations, seconds);
    return 0;
}
