// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>

namespace podtap::gui {

/// @brief What the console remembers between runs, in one place so keys never drift apart.
///
/// A thin typed view over QSettings; tests call QStandardPaths::setTestModeEnabled(true) first so
/// they never read or write a person's real configuration.
class ConsoleSettings final
{
public:
    static QString lastContext();
    static void setLastContext(const QString &context);
    /// The namespace last chosen in @p context (empty: the context's own default).
    static QString lastNamespace(const QString &context);
    static void setLastNamespace(const QString &context, const QString &namespaceName);

    static QString agentNamespace(); ///< default "podtap"
    static void setAgentNamespace(const QString &namespaceName);
    static QString agentImage(); ///< empty: the built-in default image
    static void setAgentImage(const QString &image);

    /// Tap dialog defaults, stored as the dialog's own field texts.
    static QString dialogValue(const QString &field, const QString &fallback);
    static void setDialogValue(const QString &field, const QString &value);

    /// Whether the one-time "VXLAN is cleartext" note has been shown.
    static bool cleartextNoteShown();
    static void setCleartextNoteShown(bool shown);
};

} // namespace podtap::gui
