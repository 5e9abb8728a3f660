// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QObject>

namespace podtap::test {

/// The descendant of @p parent of type T whose objectName is @p name. A test that asks for one the UI does not
/// have stops at once, naming it: every later step would dereference it.
template<typename T>
T *namedChild(const QObject &parent, const char *name)
{
    T *found = parent.findChild<T *>(QLatin1String(name));
    if (!found) {
        qFatal("%s has no %s named %s", parent.metaObject()->className(), T::staticMetaObject.className(), name);
    }
    return found;
}

} // namespace podtap::test
