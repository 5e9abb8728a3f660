// SPDX-License-Identifier: Apache-2.0
#include "string_pool.h"

namespace podtap::cluster {

QString StringPool::intern(const QString &text)
{
    if (text.isEmpty()) {
        return {};
    }
    const auto it = m_strings.constFind(text);
    if (it != m_strings.constEnd()) {
        return *it;
    }
    m_strings.insert(text);
    return text;
}

QString StringPool::intern(QStringView text)
{
    return intern(text.toString());
}

} // namespace podtap::cluster
