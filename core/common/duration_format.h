// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>

namespace podtap {

/// kubectl's short duration (`45s`, `3m12s`, `5h2m`, `12d`, `2y30d`): the one way podtap writes an
/// age or an elapsed time, so the console, podtapctl and kubectl read alike.
QString humanDuration(qint64 ms);

} // namespace podtap
