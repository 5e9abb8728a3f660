// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QtGlobal>

namespace podtap::sim {

class SimStore;

/// @brief Fills the store with a realistic, deterministic cluster: nodes, namespaces, and pods
/// owned by ReplicaSets and Jobs in a mix of phases.
class Seeder final
{
public:
    struct Counts
    {
        int namespaces = 0;
        int pods = 0;
        int nodes = 0;
    };
    /// The same @p seed always gives the same names, states and addresses.
    static void seed(SimStore &store, const Counts &counts, quint64 seed);
};

} // namespace podtap::sim
