// SPDX-License-Identifier: Apache-2.0
#pragma once

// Defaults that the console, podtapctl and the pod builders must agree on; each is spelled once here.
namespace podtap {

/// The namespace agent pods run in unless the operator names another.
inline constexpr auto kDefaultAgentNamespace = "podtap";
/// Seconds without a heartbeat after which an agent stops by itself and sweep calls a session stale.
inline constexpr int kDefaultHeartbeatTimeoutSeconds = 180;

} // namespace podtap
