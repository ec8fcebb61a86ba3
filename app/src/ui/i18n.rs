//! Every text of the interface, in Japanese (the default) and English.
//!
//! Texts are looked up by a typed key, so a missing translation is a compile error.

use crate::api::AppError;
use crate::domain::{
    AgencyKind, CaseStatus, FieldError, HubFunction, IntakeChannel, Lang, NoteField, Problem,
    Program, RiskLevel, Role, VisitStatus,
};
use crate::sync::{Op, RejectReason};
use leptos::prelude::*;

macro_rules! texts {
    ($($key:ident => $ja:literal, $en:literal;)+) => {
        /// A text of the interface.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum T { $($key),+ }

        /// The text for `key` in `lang`.
        pub fn t(lang: Lang, key: T) -> &'static str {
            match (key, lang) {
                $((T::$key, Lang::Ja) => $ja, (T::$key, Lang::En) => $en,)+
            }
        }
    };
}

texts! {
    AppName => "デカパン", "Dekapan";
    Tagline => "リレーではなくデカパン — みんなで一緒に支える訪問記録", "Not a relay but one big pair of trousers — outreach notes the whole team steps into";
    SkipToContent => "本文へ移動", "Skip to content";
    SwitchLanguage => "English", "日本語";
    SwitchLanguageLabel => "Switch the interface to English", "表示を日本語に切り替える";
    Login => "ログイン", "Sign in";
    LoginName => "ログインID", "Login name";
    Password => "パスワード", "Password";
    LoggingIn => "ログイン中…", "Signing in…";
    DeviceLocked => "この端末はロックされています", "This device is locked";
    DevicePassphrase => "パスワード（この端末のロック解除）", "Password (to unlock this device)";
    Unlock => "ロックを解除", "Unlock";
    Unlocking => "解除中…", "Unlocking…";
    WrongPassphrase => "パスフレーズが違います。（ほかの端末でパスフレーズを変更したときは、この端末でオンラインでログインし直すまで、前のパスフレーズで開きます）", "Wrong passphrase. (If you changed your passphrase on another device, this one opens with the previous passphrase until you sign in online here.)";
    GrantEnded => "オフラインで使える期間が終わりました。ネットワークにつないでログインしてください。未送信の変更は消えていません。", "The offline period has ended. Connect and sign in; unsent changes are not lost.";
    LockedUnsentWork => "この端末には、別のパスワードで保護された未送信の変更があります。その変更を記録した人がロックを解除して同期するまで、この端末は使えません。", "This device holds unsent changes protected by another password. The person who made them must unlock and sync before the device can be used.";
    DeviceStorageFailed => "端末の保存領域を開けませんでした。", "The device's storage could not be opened.";
    SignInAsSomeoneElse => "別の人としてログイン", "Sign in as someone else";
    LockNow => "ロック", "Lock";
    DeviceRevokedTitle => "この端末は使用停止になりました", "This device has been revoked";
    DeviceRevoked => "この端末は使用停止になりました。送れる記録は送信し、端末内のデータは消去しました。続けるには、もう一度ログインしてください。", "This device has been revoked. What it held was sent, and its data has been erased. Sign in again to go on.";
    RevokeDevice => "使用停止", "Revoke";
    DeviceRevokedMark => "使用停止済み", "Revoked";
    Accounts => "アカウント管理", "Accounts";
    AccountDisabled => "アカウント停止中", "Account disabled";
    DisableAccount => "アカウントを停止", "Disable account";
    EnableAccount => "アカウントを再開", "Enable account";
    ResetSecondFactor => "二段階認証をリセット", "Reset two-step sign-in";
    SecondFactorIsOn => "二段階認証: 設定済み", "Two-step sign-in: on";
    SecondFactorIsOff => "二段階認証: 未設定", "Two-step sign-in: off";
    Devices => "端末", "Devices";
    NoDevices => "同期した端末はありません", "No device has synced";
    AccountChanged => "変更しました", "Changed";
    ConfirmRevoke => "この端末を使用停止にしますか？ 取り消せません。端末は次に接続したとき、未送信の記録を送ってから中のデータを消去します。", "Revoke this device? This cannot be undone: at its next contact it sends what waits, then erases its data.";
    ConfirmDisable => "このアカウントを停止しますか？ ログイン中のセッションはすぐに終了します。", "Disable this account? Its sessions end at once.";
    ConfirmResetSecondFactor => "二段階認証をリセットしますか？ 次回はパスワードだけでログインし、設定し直します。", "Reset two-step sign-in? Next time the password alone signs in, and it is set up again.";
    AccountNotChanged => "変更できませんでした。通信状態を確認して、もう一度お試しください。", "Not changed. Check the connection and try again.";
    DeviceActions => "端末の操作", "Device";
    Logout => "ログアウト", "Sign out";
    MyVisits => "訪問予定", "My visits";
    Review => "記録の確認", "Review";
    Loading => "読み込み中…", "Loading…";
    NoVisits => "今日以降の訪問予定はありません。", "No visits from today on.";
    Today => "今日", "Today";
    CoVisitors => "同行", "With";
    Place => "場所", "Place";
    Time => "時間", "Time";
    ChooseVisit => "訪問を選ぶと、ケースの概要と記録がここに表示されます。", "Choose a visit to see the case summary and notes here.";
    BackToList => "訪問予定に戻る", "Back to my visits";
    CaseSummary => "ケースの概要", "Case summary";
    LifeGoal => "暮らしのゴール", "Life goal";
    MedicalView => "医療の視点", "Medical view";
    WelfareView => "福祉の視点", "Welfare view";
    NotWrittenYet => "（未記入）", "(not written yet)";
    Team => "支援チーム", "Team";
    Risk => "リスク", "Risk";
    Status => "状態", "Status";
    Responsible => "担当", "Responsible";
    IntakeVia => "相談経路", "Intake";
    ResponsibleBecause => "相談経路により担当が決まります", "The intake channel decides who is responsible";
    AgenciesAtIntake => "関与機関（受付時）", "Agencies involved at intake";
    AgenciesAtClose => "関与機関（終結時）", "Agencies involved at close";
    EarlierNotes => "これまでの記録", "Earlier notes";
    NoNotes => "まだ記録はありません。", "No notes yet.";
    Revision => "版", "Revision";
    RecordNote => "訪問記録を書く", "Record an outreach note";
    WasMet => "本人に会えましたか", "Was the person met?";
    Met => "会えた", "Met";
    NotMet => "会えなかった（不在など）", "Not met (not at home, etc.)";
    SubmitNote => "記録を提出", "Submit note";
    Submitting => "提出中…", "Submitting…";
    NoteSaved => "記録をこの端末に保存しました。訪問は完了になりました。", "Note saved on this device. The visit is marked as done.";
    NoteSavedNotMet => "記録をこの端末に保存しました。訪問は「会えず」になりました。", "Note saved on this device. The visit is marked as not met.";
    NoteNotSaved => "この端末に保存できませんでした。空き容量を確認してください。", "Could not save on this device. Please check free storage.";
    Online => "オンライン", "Online";
    Offline => "オフライン", "Offline";
    LastSync => "最終同期", "Last sync";
    NeverSynced => "未同期", "Not synced yet";
    SyncNow => "今すぐ同期", "Sync now";
    Syncing => "同期中…", "Syncing…";
    SyncProgress => "同期の進み具合", "Sync progress";
    FirstSync => "この端末に訪問予定を取り込んでいます…", "Bringing your visits onto this device…";
    FirstSyncRetrying => "サーバーにまだつながりません。すぐにもう一度試します。", "The server cannot be reached yet. Trying again in a moment.";
    ProblemOffline => "サーバーに接続できません。記録は端末に保存され、接続が戻ると自動で送信されます。", "Cannot reach the server. Notes stay on this device and are sent when the connection returns.";
    ProblemSignedOut => "ログインの有効期限が切れました。もう一度ログインしてください（端末の記録は消えません）。", "Your session has ended. Please sign in again (nothing on this device is lost).";
    ProblemUpdate => "アプリが古いため同期できません。再読み込みして更新してください。", "This app is too old to sync. Reload the page to update it.";
    ProblemServer => "同期が完了しませんでした。記録は端末に残っており、自動で再試行します。", "Sync did not complete. Everything stays on this device and is retried automatically.";
    ProblemStorage => "この端末への保存に失敗しました。空き容量を確認してください。", "Saving on this device failed. Please check free storage.";
    NotSent => "未送信", "Not sent yet";
    Refused => "受け付けられなかった変更", "Changes the server refused";
    RefusedHelp => "内容はこの端末に残っています。理由を確認し、必要なら「下書きに戻す」で書き直して提出してください。", "The content stays on this device. Check the reason; if needed, put it back into the draft, correct it and submit again.";
    Reason => "理由", "Reason";
    RestoreDraft => "下書きに戻す", "Back to draft";
    Conflicts => "同時に書き換えられた項目", "Edited by two people at once";
    ConflictShown => "表示中の値", "Shown";
    ConflictKept => "もう一方の値（保存済み）", "The other value (kept)";
    Intake => "相談の受付", "New consultation";
    Pseudonym => "呼び名（仮名）", "Pseudonym";
    PseudonymRequired => "呼び名を入力してください。", "Enter a pseudonym.";
    IntakeNotAllowed => "相談の受付は、はちまるサポートまたは保健所の職員が行います。", "Consultations are registered by staff of a welfare desk or of the public health center.";
    TakenInAt => "受付:", "taken in at";
    FirstVisit => "初回訪問", "First visit";
    FirstVisitHint => "日付を入れると、受付と同時に訪問を予定します。", "Give a day to plan the first visit together with the intake.";
    VisitDay => "日付", "Day";
    StartTime => "開始", "Start";
    EndTime => "終了", "End";
    WhoGoes => "訪問する人", "Who goes";
    RegisterCase => "受け付ける", "Register";
    PlanVisit => "訪問を予定する", "Plan a visit";
    PlanVisitProblem => "日付・開始より後の終了・場所・訪問する人を入れてください。", "Give a day, an end after the start, a place and who goes.";
    SavedOnDevice => "この端末に保存しました。次の同期で送信します。", "Saved on this device; it is sent with the next sync.";
    OpenCasePage => "対象者のページ（チーム・ゴール・関係機関）", "Case page (team, goal, agencies)";
    EditCase => "チームで書き換える", "Edit together";
    Save => "保存", "Save";
    Invite => "チームに招く人", "Invite to the team";
    InviteButton => "招く", "Invite";
    Choose => "選んでください", "Choose…";
    LeaveTeam => "このチームを抜ける", "Leave this team";
    AgenciesInvolved => "関わっている機関", "Agencies involved";
    AgenciesHelp => "受付時と終結時の機関の数を比べることが、市の評価指標です。", "The city compares the number of agencies at intake and at close.";
    AddAgency => "機関を追加", "Add an agency";
    Add => "追加", "Add";
    Remove => "外す", "Remove";
    CaseVisits => "訪問", "Visits";
    MyCases => "担当している対象者", "My cases";
    NoCases => "担当している対象者はいません。", "You are on no case team yet.";
    RiskFlags => "リスクが高い対象者", "Cases flagged high risk";
    Directory => "拠点・協力事業所", "Hubs and businesses";
    DirectoryWords => "名前・内容・拠点で探す", "Find by name, what is offered or hub";
    DirectoryFunction => "機能", "Function";
    DirectoryHub => "拠点", "Hub";
    AllFunctions => "すべての機能", "Every function";
    AllHubs => "すべての拠点", "Every hub";
    DirectoryCount => "件", "businesses";
    DirectoryEmpty => "条件に合う事業所はありません。", "No business matches.";
    DirectoryHours => "受付", "Hours";
    Suggestions => "チームへの提案（拠点・協力事業所）", "Suggested to the team (hubs and businesses)";
    SuggestionsNone => "まだ提案はありません。", "Nothing suggested yet.";
    SuggestListing => "事業所を選ぶ", "Choose a business";
    Suggest => "チームに提案", "Suggest to the team";
    SuggestedBy => "提案", "Suggested by";
    WithdrawSuggestion => "提案を取り下げる", "Take back";
    ListingRetired => "（登録終了）", "(no longer listed)";
    OpSuggestListing => "事業所の提案", "Suggested a business";
    OpWithdrawSuggestion => "提案の取り下げ", "Took back a suggestion";
    DirectoryAdmin => "拠点・協力事業所の管理", "Hubs' directory";
    NewListing => "事業所を追加", "Add a business";
    EditListing => "編集", "Edit";
    RetireListing => "登録を終了", "Retire";
    BusinessName => "事業所名", "Business name";
    ListingOffers => "提供する支援", "What it offers";
    ListingPhone => "電話番号", "Telephone";
    SaveListing => "保存", "Save";
    ListingSaved => "事業所の登録を保存しました。端末には次の同期で届きます。", "The listing was saved; devices receive it at their next sync.";
    ListingRetiredSaid => "事業所の登録を終了しました。", "The listing was retired.";
    CrisisContacts => "緊急時の連絡先（拠点の緊急時の受入れ・対応）", "Crisis contacts (the hubs' emergency function)";
    ReviewWaiting => "確認待ち", "Awaiting review";
    ReviewApproved => "承認済み", "Approved";
    ReviewReturned => "差し戻し", "Returned";
    ReviewComment => "コメント", "Comment";
    AmendNote => "修正する", "Amend";
    AmendingNote => "差し戻された記録を修正しています（新しい版として保存されます）。", "You are amending a returned note (it is saved as a new revision).";
    CancelAmend => "修正をやめる", "Stop amending";
    NoteHistory => "版と確認の履歴", "Revisions and reviews";
    ReviewQueue => "確認待ちの記録", "Notes awaiting review";
    QueueEmpty => "確認待ちの記録はありません。", "No notes are waiting for review.";
    DecisionSaved => "判断をこの端末に保存しました。次の同期で作成者に届きます。", "Decision saved on this device; it reaches the author with the next sync.";
    Approve => "承認する", "Approve";
    ReturnNote => "差し戻す", "Return";
    ReturnCommentLabel => "差し戻す理由（作成者に届きます）", "Why it is returned (sent to the author)";
    CommentRequired => "差し戻すには理由を書いてください。", "Write why you return it.";
    HomeAgency => "所属", "home";
    OpenConflicts => "未解決の競合", "Open conflicts";
    NoConflicts => "未解決の競合はありません。", "No open conflicts.";
    KeepThis => "この値にする", "Keep this value";
    Indicators => "指標", "Indicators";
    SyncHealth => "端末の同期状況", "Device sync health";
    ExportNotes => "記録をCSVで保存", "Notes as CSV";
    ExportVisits => "訪問をCSVで保存", "Visits as CSV";
    ExportIndicators => "指標をCSVで保存", "Indicators as CSV";
    AuditTrail => "監査記録", "Audit log";
    BreakGlass => "緊急時の閲覧", "Emergency access";
    BreakGlassWhy => "担当外のケースです。緊急に必要な場合に限り、理由を記録して1時間だけ閲覧できます。閲覧は監査記録に残り、ケースの担当スーパーバイザーに見えます。", "This case is outside your program. In an emergency you may read it for one hour, with a stated reason; the access is audited and shown to the case's own supervisor.";
    BreakGlassReason => "理由（10文字以上）", "Reason (10 characters or more)";
    BreakGlassOpen => "理由を記録して閲覧する", "Record the reason and open";
    BreakGlassOpened => "緊急時の閲覧中です（1時間で終了します。閲覧は監査記録に残ります）。", "Emergency access: ends in one hour; audited.";
    ExportAudit => "監査記録をCSVで保存", "Audit log as CSV";
    AuditWhen => "日時", "When";
    AuditWho => "実行者", "Who";
    AuditWhat => "操作", "What";
    AuditDevice => "端末での時刻", "Time on the device";
    AuditDenied => "拒否", "refused";
    AuditNone => "この期間の記録はありません。", "Nothing recorded in this period.";
    Person => "職員", "Person";
    OldestUnsent => "最も古い未送信", "Oldest unsent change";
    LastContact => "最終接続", "Last contact";
    NothingWaiting => "なし", "none";
    PeriodFrom => "期間の開始", "From";
    PeriodTo => "期間の終了", "To";
    AgenciesGrewTitle => "終結時に関わる機関が増えた対象者の割合", "Closed cases where the agencies involved grew";
    NoClosedCases => "この期間に終結した対象者はいません。", "No case closed in this period.";
    CasesByChannel => "受付経路と担当別の新規対象者", "New cases by intake channel and program";
    DaysToFirstVisit => "受付から初回訪問までの日数", "Days from intake to the first visit";
    Median => "中央値", "median";
    Days => "日", "days";
    NotVisitedYet => "未訪問", "not visited yet:";
    JointVisits => "複数機関による同行訪問の割合", "Joint visits (two or more agencies)";
    VisitsPerAgencyWeek => "週ごと・機関ごとの訪問数", "Visits per agency per week";
    ConflictHelp => "どちらの値も失われていません。チームで確認し、スーパーバイザーが確定します。", "Neither value is lost. Check with the team; a supervisor settles it.";
    VisitStatusLabel => "訪問の状況を変更", "Change the visit's status";
    UpdateReady => "新しいバージョンの準備ができました。", "A new version of the app is ready.";
    UpdateReload => "更新して再読み込み", "Update and reload";
    StorageNotPersisted => "このブラウザは、空き容量が少なくなると端末内の記録を消すことがあります。こまめに同期してください。", "This browser may delete data saved on this device when storage runs low. Please sync often.";
    DraftSaved => "下書きは入力するたびにこの端末に保存されます。", "The draft is saved on this device as you type.";
    FixFields => "入力内容を確認してください。", "Please check what you entered.";
    Required => "入力してください", "This field is required";
    TooLong => "文字以内で入力してください", "characters at most";
    TooShort => "文字以上で入力してください", "characters at least";
    TooWeak => "推測されやすいパスフレーズです。ログインIDや同じ文字の繰り返しは使えません", "Too easy to guess: not the login name, not one character repeated";
    LoginPaused => "ログインの失敗が続いたため、このIDでのログインを一時停止しています。しばらくしてからもう一度お試しください。", "Too many failed sign-ins: this login is paused for a while. Please try again later.";
    UnknownChoice => "選択肢から選んでください", "Choose one of the options";
    EndsBeforeStart => "終了は開始より後にしてください", "The end must be after the start";
    WrongValue => "正しくありません", "Not right";
    Unchanged => "今と同じです。別のものにしてください", "The same as now: choose another";
    Mismatch => "一致しません", "The two do not match";
    PhoneFormatProblem => "電話番号の形ではありません（例: 042-600-0000）", "Not a telephone number (for example 042-600-0000)";
    ControlCharacterProblem => "使えない文字（制御文字）が含まれています", "Contains characters that cannot be kept (control characters)";
    PreviousPassphraseNeeded => "パスフレーズがほかの端末で変更されました。この端末の記録は、この端末で最後に使ったパスフレーズで保護されています。それを一度だけ入力してください。", "Your passphrase was changed on another device. What this device holds is protected by the passphrase you last used on it: enter that one once.";
    PreviousPassphrase => "この端末で最後に使ったパスフレーズ", "The passphrase last used on this device";
    ForgotPrevious => "思い出せない：この端末の下書きを消して続ける", "Can't remember it: discard this device's drafts and go on";
    ConfirmDiscardDrafts => "この端末の下書き（とサーバーに断られた変更）は、前のパスフレーズがないと開けません。消して続けますか？ 元に戻せません。（未送信の記録はありません）", "This device's drafts (and changes the server refused) cannot be opened without the previous passphrase. Discard them and go on? This cannot be undone. (Nothing unsent is on it.)";
    PreviousPassphraseWrong => "そのパスフレーズでも開けません。この端末で最後に使ったものを入力してください。", "That passphrase does not open it either. Enter the one last used on this device.";
    OpenWithPrevious => "この端末の記録を引き継ぐ", "Keep this device's work";
    NewAccount => "アカウントを作成", "Open an account";
    LoginHint => "半角英小文字で始め、英小文字・数字・「.」「-」「_」で3文字以上（例: nurse.nakamura）", "Starts with a lower-case letter; lower-case letters, digits, '.', '-' and '_', 3 or more (e.g. nurse.nakamura)";
    DisplayName => "氏名（同僚に表示）", "Name (shown to colleagues)";
    RoleLabel => "役割", "Role";
    HomeAgencyLabel => "所属機関", "Agency";
    Supervises => "担当する事業", "Program supervised";
    CreateAccount => "作成する", "Open the account";
    AccountCreated => "アカウントを作成しました。", "the account is open.";
    FirstPassphrase => "初期パスフレーズ", "First passphrase";
    FirstPassphraseHint => "初期パスフレーズはこの一度だけ表示されます。本人に直接渡し、最初のログインの後「ログイン設定」で変更してもらってください。", "The first passphrase is shown this once. Hand it over in person; after signing in, its owner changes it in their sign-in settings.";
    LoginFormatProblem => "半角英小文字で始め、英小文字・数字・「.」「-」「_」だけで入力してください", "Start with a lower-case letter and use only lower-case letters, digits, '.', '-' and '_'";
    TakenProblem => "すでに使われています", "Already taken";
    PassphraseChangeNeeded => "管理者が発行したパスフレーズでログインしています。自分だけが知るパスフレーズに変更してください。変更するまで、ほかの操作はできません。", "You signed in with a passphrase an administrator issued. Change it to one only you know; nothing else works until you do.";
    IssuedPassphraseExpired => "管理者が発行したパスフレーズの有効期限（72時間）が切れています。管理者に再発行を依頼してください。", "The passphrase an administrator issued has expired (after 72 hours). Ask them to issue a new one.";
    ReissuePassphrase => "パスフレーズを再発行", "Issue a new passphrase";
    ConfirmReissue => "新しいパスフレーズを発行しますか？ 今のパスフレーズは使えなくなり、ログイン中の端末もログアウトします。", "Issue a new passphrase? The current one stops working, and open sign-ins end.";
    PassphraseIssued => "新しいパスフレーズを発行しました。", "a new passphrase is issued.";
    HideIssued => "表示を消す", "Hide it";
    LockedUnsentWorkOwn => "この端末には未送信の記録があるため、消せません。この端末で最後に使ったパスフレーズを入力してください。", "Unsent work is on this device, so nothing is discarded: enter the passphrase last used on it.";
    SignInSettings => "ログイン設定", "Sign-in settings";
    Passphrase => "パスフレーズ", "Passphrase";
    PassphraseHelp => "ログインとこの端末のロック解除に使います。12文字以上、ログインIDや同じ文字の繰り返しは使えません。", "Signs you in and unlocks this device: 12 characters or more, not the login name, not one character repeated.";
    CurrentPassphrase => "今のパスフレーズ", "Current passphrase";
    NewPassphrase => "新しいパスフレーズ", "New passphrase";
    RepeatPassphrase => "新しいパスフレーズ（確認のためもう一度）", "New passphrase again";
    ChangePassphrase => "パスフレーズを変更", "Change passphrase";
    ChangingPassphrase => "変更中…", "Changing…";
    PassphraseChanged => "パスフレーズを変更しました。ほかの端末のログインは終了しました。この端末は新しいパスフレーズで開きます。", "Passphrase changed. Your other sign-ins have ended; this device now opens with the new passphrase.";
    PassphraseChangedDeviceKept => "パスフレーズを変更しました。ただし、この端末のロック解除は、オンラインでログインし直すまで前のパスフレーズのままです。", "Passphrase changed. This device still unlocks with the previous one until you next sign in online here.";
    BadCredentials => "ログインIDまたはパスワードが違います。", "Wrong login name or password.";
    SecondFactorNeeded => "認証アプリに表示されている6桁のコードを入力してください。", "Enter the 6-digit code your authenticator app shows.";
    BadSecondFactor => "コードが違うか、使用済みです。新しいコードか回復コードを入力してください。", "The code is wrong or used already. Enter a new code or a recovery code.";
    SecondFactorSetupNeeded => "二段階認証の設定が必要です。設定が済むまで、ほかの操作はできません。", "Two-step sign-in must be set up first; nothing else works until it is.";
    OneTimeCode => "確認コード（6桁、または回復コード）", "Code (6 digits, or a recovery code)";
    SecondFactor => "二段階認証", "Two-step sign-in";
    SecondFactorOn => "二段階認証は有効です。ログインのたびに認証アプリのコードを入力します。", "Two-step sign-in is on: each sign-in asks for your authenticator app's code.";
    SecondFactorOff => "二段階認証はまだ設定されていません。", "Two-step sign-in is not set up yet.";
    SecondFactorStart => "設定を始める", "Set it up";
    SecondFactorSecret => "認証アプリにこのキーを登録してください", "Add this key to your authenticator app";
    SecondFactorConfirm => "コードを確認して有効にする", "Check the code and turn it on";
    RecoveryCodes => "回復コード（一度だけ表示します。安全な場所に控えてください。各コードは一度だけ使えます）", "Recovery codes (shown once: keep them somewhere safe; each works once)";
    Unauthenticated => "ログインしてください。", "Please sign in.";
    NotFound => "見つからないか、閲覧する権限がありません。", "Not found, or you may not see it.";
    Forbidden => "この操作は許可されていません。", "You may not do this.";
    RejectNotFound => "記録が見つからないか、この対象者の支援チームに入っていません。", "The record does not exist, or you are not on its team.";
    RejectForbidden => "この変更をする権限がありません。", "You may not make this change.";
    RejectCannotJoinTeam => "この人は支援チームに入れません（利用停止中のアカウントか管理者です）。", "That person cannot join a case team (a disabled account or an administrator).";
    RejectCannotVisit => "訪問を担当できるのは、利用中の現場職員だけです。", "Only active field staff can be assigned to a visit.";
    RejectUnknownAgency => "その機関は機関一覧にありません。", "That agency is not in the directory.";
    RejectAlreadyResolved => "この食い違いは、すでに別の人が解決しています。", "Someone else has already settled this conflict.";
    RejectNotFieldStaff => "相談を登録できるのは現場の職員だけです。", "Only field staff register consultations.";
    RejectNotAnIntakeDesk => "相談の登録は、福祉の窓口か保健センターの職員が行います。", "Consultations are registered by a welfare desk or the public health center.";
    RejectNotReviewer => "記録を確認できるのは、このケースのプログラムの係長・コーディネーターだけです。", "Only a supervisor of the case's program reviews its notes.";
    RejectIdTaken => "同じ番号の記録がすでにあります。もう一度作成してください。", "A record with the same id exists already; please create it again.";
    OpNote => "記録", "A note";
    OpEditVisit => "訪問の変更", "A change to a visit";
    OpEditCase => "対象者情報の変更", "A change to a case";
    OpJoinTeam => "支援チームへの参加", "Joining a case team";
    OpLeaveTeam => "支援チームからの離脱", "Leaving a case team";
    OpAddAgency => "関与機関の追加", "Adding an involved agency";
    OpRemoveAgency => "関与機関の取り消し", "Taking back an involved agency";
    OpResolveConflict => "食い違いの解決", "Settling a conflict";
    OpOpenCase => "相談の登録", "Registering a consultation";
    OpPlanVisit => "訪問の予定", "Planning a visit";
    OpReviewNote => "記録の確認", "Reviewing a note";
    Internal => "サーバーでエラーが起きました。入力内容は消えていません。しばらくしてからもう一度お試しください。", "The server had a problem. Nothing you typed is lost; please try again shortly.";
    Network => "サーバーに接続できません。入力内容は消えていません。", "Cannot reach the server. Nothing you typed is lost.";
    ProgramNotes => "プログラムの最新の記録", "Recent notes of the program";
    NoProgramNotes => "まだ記録はありません。", "No notes yet.";
    Author => "記録者", "Author";
    Received => "受信", "Received";
    ActsFor => "として活動", "acting for";
    PageNotFound => "ページが見つかりません。", "Page not found.";
    RequiredMark => "必須", "required";
    Menu => "メニュー", "Menu";
    WriteNote => "記録を書く", "Write a note";
    CrisisContactsShort => "緊急連絡先", "Crisis contacts";
    VisitPageName => "訪問", "Visit";
    CasePageName => "対象者", "Case";
    UnsentBadge => "未送信", "unsent";
    StorageWarningShort => "この端末の記録は消えることがあります", "Data on this device may be deleted";
    Dismiss => "閉じる", "Dismiss";
    DismissStorageWarning => "この端末では今後表示しない", "Don't show again on this device";
}

/// A person with the agency they act for: the brackets and spacing follow the language.
pub fn with_agency(lang: Lang, person: &str, agency: &str) -> String {
    match lang {
        Lang::Ja => format!("{person}（{agency}）"),
        Lang::En => format!("{person} ({agency})"),
    }
}

/// What separates the items of a list written out in a sentence.
pub fn list_separator(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "、",
        Lang::En => ", ",
    }
}

/// The current interface language, shared through context.
pub fn use_lang() -> RwSignal<Lang> {
    expect_context::<RwSignal<Lang>>()
}

/// A reactive text: re-renders when the language changes.
pub fn tr(key: T) -> impl Fn() -> &'static str + Clone + Send + Sync + 'static {
    let lang = use_lang();
    move || t(lang.get(), key)
}

/// A label for a note field.
pub fn note_field_label(lang: Lang, field: NoteField) -> &'static str {
    match (field, lang) {
        (NoteField::MetWith, Lang::Ja) => "会った人",
        (NoteField::MetWith, Lang::En) => "Who was met",
        (NoteField::MentalState, Lang::Ja) => "精神状態",
        (NoteField::MentalState, Lang::En) => "Mental state",
        (NoteField::Medication, Lang::Ja) => "服薬・治療",
        (NoteField::Medication, Lang::En) => "Medication and treatment",
        (NoteField::DailyLiving, Lang::Ja) => "日常生活",
        (NoteField::DailyLiving, Lang::En) => "Daily living",
        (NoteField::Risks, Lang::Ja) => "リスク",
        (NoteField::Risks, Lang::En) => "Risks",
        (NoteField::Agreed, Lang::Ja) => "合意したこと",
        (NoteField::Agreed, Lang::En) => "What was agreed",
        (NoteField::NextSteps, Lang::Ja) => "次の対応",
        (NoteField::NextSteps, Lang::En) => "Next steps",
        (NoteField::FreeText, Lang::Ja) => "自由記述",
        (NoteField::FreeText, Lang::En) => "Free text",
    }
}

/// A field problem as a sentence.
pub fn problem_text(lang: Lang, problem: &Problem) -> String {
    match problem {
        Problem::Required => t(lang, T::Required).to_owned(),
        Problem::TooLong { max } => match lang {
            Lang::Ja => format!("{max}{}", t(lang, T::TooLong)),
            Lang::En => format!("{max} {}", t(lang, T::TooLong)),
        },
        Problem::TooShort { min } => match lang {
            Lang::Ja => format!("{min}{}", t(lang, T::TooShort)),
            Lang::En => format!("{min} {}", t(lang, T::TooShort)),
        },
        Problem::TooWeak => t(lang, T::TooWeak).to_owned(),
        Problem::UnknownChoice => t(lang, T::UnknownChoice).to_owned(),
        Problem::EndsBeforeStart => t(lang, T::EndsBeforeStart).to_owned(),
        Problem::Wrong => t(lang, T::WrongValue).to_owned(),
        Problem::Unchanged => t(lang, T::Unchanged).to_owned(),
        Problem::Mismatch => t(lang, T::Mismatch).to_owned(),
        Problem::LoginFormat => t(lang, T::LoginFormatProblem).to_owned(),
        Problem::Taken => t(lang, T::TakenProblem).to_owned(),
        Problem::ControlCharacter => t(lang, T::ControlCharacterProblem).to_owned(),
        Problem::PhoneFormat => t(lang, T::PhoneFormatProblem).to_owned(),
    }
}

/// A field error as a sentence naming the field.
pub fn field_error_text(lang: Lang, error: &FieldError) -> String {
    let label = NoteField::parse(&error.field)
        .map(|f| note_field_label(lang, f))
        .unwrap_or(error.field.as_str());
    format!("{label}: {}", problem_text(lang, &error.problem))
}

/// Why the server refused a change, in the user's language.
pub fn reject_text(lang: Lang, reason: &RejectReason) -> String {
    let key = match reason {
        RejectReason::Invalid { errors } => {
            let fields: Vec<String> = errors.iter().map(|e| field_error_text(lang, e)).collect();
            let sep = match lang {
                Lang::Ja => "、",
                Lang::En => "; ",
            };
            return format!("{} {}", t(lang, T::FixFields), fields.join(sep));
        }
        RejectReason::Said(words) => return words.clone(),
        RejectReason::NotFound => T::RejectNotFound,
        RejectReason::Forbidden => T::RejectForbidden,
        RejectReason::CannotJoinTeam => T::RejectCannotJoinTeam,
        RejectReason::CannotVisit => T::RejectCannotVisit,
        RejectReason::UnknownAgency => T::RejectUnknownAgency,
        RejectReason::AlreadyResolved => T::RejectAlreadyResolved,
        RejectReason::NotFieldStaff => T::RejectNotFieldStaff,
        RejectReason::NotAnIntakeDesk => T::RejectNotAnIntakeDesk,
        RejectReason::NotReviewer => T::RejectNotReviewer,
        RejectReason::IdTaken => T::RejectIdTaken,
    };
    t(lang, key).to_owned()
}

/// What a change other than a note was, in a few words (a note shows its own text).
pub fn op_text(lang: Lang, op: &Op) -> String {
    let (key, what) = match op {
        Op::CreateNote { .. } | Op::AmendNote { .. } => (T::OpNote, None),
        Op::EditVisit { .. } => (T::OpEditVisit, None),
        Op::EditCase { .. } => (T::OpEditCase, None),
        Op::JoinTeam { .. } => (T::OpJoinTeam, None),
        Op::LeaveTeam { .. } => (T::OpLeaveTeam, None),
        Op::AddAgency { .. } => (T::OpAddAgency, None),
        Op::RemoveAgency { .. } => (T::OpRemoveAgency, None),
        Op::ResolveConflict { .. } => (T::OpResolveConflict, None),
        Op::OpenCase { pseudonym, .. } => (T::OpOpenCase, Some(pseudonym.as_str())),
        Op::PlanVisit { place, .. } => (T::OpPlanVisit, Some(place.as_str())),
        Op::ReviewNote { .. } => (T::OpReviewNote, None),
        Op::SuggestListing { .. } => (T::OpSuggestListing, None),
        Op::WithdrawSuggestion { .. } => (T::OpWithdrawSuggestion, None),
    };
    match what.filter(|w| !w.is_empty()) {
        Some(what) => format!("{}: {what}", t(lang, key)),
        None => t(lang, key).to_owned(),
    }
}

/// An error as a sentence the user can act on.
pub fn error_text(lang: Lang, error: &AppError) -> &'static str {
    t(
        lang,
        match error {
            AppError::Unauthenticated => T::Unauthenticated,
            AppError::BadCredentials => T::BadCredentials,
            AppError::SecondFactorNeeded => T::SecondFactorNeeded,
            AppError::BadSecondFactor => T::BadSecondFactor,
            AppError::SecondFactorSetupNeeded => T::SecondFactorSetupNeeded,
            AppError::PassphraseChangeNeeded => T::PassphraseChangeNeeded,
            AppError::IssuedPassphraseExpired => T::IssuedPassphraseExpired,
            AppError::LoginPaused { .. } => T::LoginPaused,
            AppError::NotFound => T::NotFound,
            AppError::Forbidden => T::Forbidden,
            AppError::Invalid(_) => T::FixFields,
            AppError::Internal => T::Internal,
            AppError::Network(_) => T::Network,
        },
    )
}

/// Names of the coded domain values.
pub trait Label {
    /// The name in `lang`.
    fn label(self, lang: Lang) -> &'static str;
}

macro_rules! labels {
    ($ty:ty { $($variant:ident => $ja:literal, $en:literal;)+ }) => {
        impl Label for $ty {
            fn label(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((<$ty>::$variant, Lang::Ja) => $ja, (<$ty>::$variant, Lang::En) => $en,)+
                }
            }
        }
    };
}

labels!(Role {
    Nurse => "保健師", "Public health nurse";
    PsychiatricStaff => "精神科医療機関職員", "Psychiatric staff";
    SocialWorker => "CSW", "Community social worker";
    Supervisor => "係長・コーディネーター", "Supervisor";
    Admin => "管理者", "Administrator";
});

labels!(RiskLevel {
    Low => "低", "Low";
    Moderate => "中", "Moderate";
    High => "高", "High";
});

labels!(CaseStatus {
    Intake => "受付", "Intake";
    Active => "支援中", "Active";
    Closed => "終結", "Closed";
});

labels!(VisitStatus {
    Planned => "予定", "Planned";
    Done => "完了", "Done";
    NotMet => "会えず", "Not met";
    Cancelled => "中止", "Cancelled";
});

labels!(IntakeChannel {
    WelfareDesk => "はちまるサポート経由", "Through a welfare desk";
    PublicHealthCenter => "保健所へ直接", "Straight to the public health center";
});

labels!(Program {
    ModelProgram => "早期訪問支援モデル事業", "Early outreach model program";
    PublicHealthCenter => "保健所", "Public health center";
});

labels!(AgencyKind {
    PublicHealthCenter => "保健所", "Public health center";
    WelfarePolicyDivision => "福祉政策課", "Welfare policy division";
    WelfareDesk => "はちまるサポート", "Welfare desk";
    DisabilityWelfareDivision => "障害者福祉課", "Disability welfare division";
    PsychiatricHospital => "精神科病院", "Psychiatric hospital";
    LifeSupportHub => "地域生活支援拠点", "Community life support hub";
    CooperatingBusiness => "協力事業所", "Cooperating business";
    VisitingNursingStation => "訪問看護ステーション", "Visiting nursing station";
    CommunityGeneralSupportCenter => "地域包括支援センター", "Community general support center";
    Other => "その他", "Other";
});

labels!(HubFunction {
    Consultation => "相談", "Consultation";
    Emergency => "緊急時の受入れ・対応", "Emergency acceptance and response";
    Specialists => "専門的人材の確保・養成", "Training specialists";
    Experience => "体験の機会・場", "Places to try living";
    CommunityBuilding => "地域の体制づくり", "Building local support";
});

/// Picks the name in the current language from a (ja, en) pair.
pub fn pick(lang: Lang, pair: &(String, String)) -> String {
    match lang {
        Lang::Ja => pair.0.clone(),
        Lang::En => pair.1.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FieldError;

    fn japanese(text: &str) -> bool {
        text.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c))
    }

    #[test]
    fn a_refused_change_reads_in_the_devices_language() {
        let reasons = [
            RejectReason::NotFound,
            RejectReason::Forbidden,
            RejectReason::Invalid {
                errors: vec![FieldError::new(
                    "next_steps",
                    Problem::TooLong { max: 4000 },
                )],
            },
            RejectReason::CannotJoinTeam,
            RejectReason::CannotVisit,
            RejectReason::UnknownAgency,
            RejectReason::AlreadyResolved,
            RejectReason::NotFieldStaff,
            RejectReason::NotAnIntakeDesk,
            RejectReason::NotReviewer,
            RejectReason::IdTaken,
        ];
        for reason in &reasons {
            let (ja, en) = (reject_text(Lang::Ja, reason), reject_text(Lang::En, reason));
            assert!(japanese(&ja), "{reason:?} in Japanese: {ja}");
            assert!(
                !japanese(&en) && !en.is_empty(),
                "{reason:?} in English: {en}"
            );
        }
        let invalid = reject_text(Lang::Ja, &reasons[2]);
        assert!(
            invalid.contains("次の対応") && invalid.contains("4000"),
            "{invalid}"
        );
    }

    #[test]
    fn a_refused_change_other_than_a_note_is_named_not_dumped() {
        let op = Op::OpenCase {
            case_id: crate::domain::CaseId(uuid::Uuid::nil()),
            pseudonym: "Aさん".into(),
            risk: RiskLevel::High,
            agencies: Vec::new(),
        };
        assert_eq!(op_text(Lang::Ja, &op), "相談の登録: Aさん");
        assert_eq!(op_text(Lang::En, &op), "Registering a consultation: Aさん");
    }
}
