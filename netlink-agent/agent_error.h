// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <stdexcept>
#include <string>

namespace podtap::agent {

/// Exit codes of the agent contract.
enum ExitCode : int {
    ExitOk = 0,
    ExitFailure = 1,
    ExitUsage = 2,
    ExitTargetNotFound = 3,
    ExitKernelRefused = 4,
};

/// @brief A failure that ends the agent: the message a person reads and the exit code the console reads.
class AgentError final : public std::runtime_error
{
public:
    AgentError(int exitCode, const std::string &message)
        : std::runtime_error(message)
        , m_exitCode(exitCode)
    {
    }
    int exitCode() const { return m_exitCode; }

private:
    int m_exitCode;
};

inline AgentError usageError(const std::string &message)
{
    return AgentError(ExitUsage, message);
}

} // namespace podtap::agent
