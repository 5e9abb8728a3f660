// SPDX-License-Identifier: Apache-2.0
#include "commands.h"

#include <array>

namespace podtap::cli {

std::span<const Command> commands()
{
    static const std::array<Command, 0> table {};
    return table;
}

} // namespace podtap::cli
