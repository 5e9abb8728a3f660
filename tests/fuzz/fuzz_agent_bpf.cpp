// SPDX-License-Identifier: Apache-2.0
// BpfProgram::parse on hostile `--bpf` text: it rejects with a message or accepts a program that has
// 1..BPF_MAXINSNS instructions and reads back identically from its own tcpdump -ddd form.
#include "bpf_program.h"
#include "fuzz_support.h"

#include <string>

using namespace podtap::agent;
using podtap::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char *>(data), size);
    BpfProgram program;
    std::string error;
    if (!BpfProgram::parse(text, program, error)) {
        require(!error.empty(), "a rejected --bpf without a reason");
        return 0;
    }
    require(error.empty(), "an accepted --bpf with an error");
    require(!program.instructions.empty() && program.instructions.size() <= BPF_MAXINSNS,
        "a program with no or too many instructions");
    std::string written = std::to_string(program.instructions.size()) + "\n";
    for (const sock_filter &insn : program.instructions) {
        written += std::to_string(insn.code) + " " + std::to_string(insn.jt) + " " + std::to_string(insn.jf) + " " +
            std::to_string(insn.k) + "\n";
    }
    BpfProgram again;
    require(BpfProgram::parse(written, again, error), "a program's own tcpdump -ddd form is rejected");
    require(again.instructions.size() == program.instructions.size(), "instruction count changes on reading back");
    for (std::size_t i = 0; i < again.instructions.size(); ++i) {
        const sock_filter &a = again.instructions[i];
        const sock_filter &b = program.instructions[i];
        require(a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k, "an instruction changes");
    }
    return 0;
}
