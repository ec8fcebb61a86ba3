//! The demo's tables: the staff and where they work, the welfare desks' areas, the hospitals,
//! the hubs and their cooperating businesses, life goals, meeting places, and who is on each
//! case's team.

use super::DemoLogin;
use app::domain::{HubFunction, IntakeChannel, Role};

/// Where each demo staff member works: an index into the agencies below.
#[derive(Clone, Copy)]
pub(super) enum Home {
    HealthCenter,
    Hospital(usize),
    Desk(usize),
}

pub(super) const STAFF: &[(&str, &str, Role, Home, Option<&str>)] = &[
    (
        "nurse.sato",
        "佐藤 美咲",
        Role::Nurse,
        Home::HealthCenter,
        None,
    ),
    (
        "nurse.tanaka",
        "田中 由紀",
        Role::Nurse,
        Home::HealthCenter,
        None,
    ),
    (
        "psw.suzuki",
        "鈴木 健",
        Role::PsychiatricStaff,
        Home::Hospital(0),
        None,
    ),
    (
        "doctor.ito",
        "伊藤 直人",
        Role::PsychiatricStaff,
        Home::Hospital(1),
        None,
    ),
    (
        "csw.takahashi",
        "高橋 陽子",
        Role::SocialWorker,
        Home::Desk(0),
        None,
    ),
    (
        "csw.watanabe",
        "渡辺 翔",
        Role::SocialWorker,
        Home::Desk(1),
        None,
    ),
    (
        "csw.yamamoto",
        "山本 愛",
        Role::SocialWorker,
        Home::Desk(2),
        None,
    ),
    (
        "supervisor.kobayashi",
        "小林 誠",
        Role::Supervisor,
        Home::HealthCenter,
        Some("model_program"),
    ),
    (
        "supervisor.kato",
        "加藤 恵",
        Role::Supervisor,
        Home::HealthCenter,
        Some("public_health_center"),
    ),
    (
        "admin.yoshida",
        "吉田 亮",
        Role::Admin,
        Home::HealthCenter,
        None,
    ),
];

/// The demo logins, one for each of [`STAFF`].
pub(super) const LOGINS: &[DemoLogin] = &[
    DemoLogin {
        login: "nurse.sato",
        role: Role::Nurse,
        name: "佐藤 美咲",
    },
    DemoLogin {
        login: "nurse.tanaka",
        role: Role::Nurse,
        name: "田中 由紀",
    },
    DemoLogin {
        login: "psw.suzuki",
        role: Role::PsychiatricStaff,
        name: "鈴木 健",
    },
    DemoLogin {
        login: "doctor.ito",
        role: Role::PsychiatricStaff,
        name: "伊藤 直人",
    },
    DemoLogin {
        login: "csw.takahashi",
        role: Role::SocialWorker,
        name: "高橋 陽子",
    },
    DemoLogin {
        login: "csw.watanabe",
        role: Role::SocialWorker,
        name: "渡辺 翔",
    },
    DemoLogin {
        login: "csw.yamamoto",
        role: Role::SocialWorker,
        name: "山本 愛",
    },
    DemoLogin {
        login: "supervisor.kobayashi",
        role: Role::Supervisor,
        name: "小林 誠",
    },
    DemoLogin {
        login: "supervisor.kato",
        role: Role::Supervisor,
        name: "加藤 恵",
    },
    DemoLogin {
        login: "admin.yoshida",
        role: Role::Admin,
        name: "吉田 亮",
    },
];

pub(super) const DESK_AREAS: [(&str, &str); 13] = [
    ("元八王子", "Motohachioji"),
    ("由井", "Yui"),
    ("北野", "Kitano"),
    ("石川", "Ishikawa"),
    ("館", "Tate"),
    ("川口", "Kawaguchi"),
    ("恩方", "Ongata"),
    ("浅川", "Asakawa"),
    ("横山", "Yokoyama"),
    ("長房", "Nagafusa"),
    ("加住", "Kasumi"),
    ("由木", "Yugi"),
    ("大和田", "Owada"),
];

pub(super) const HOSPITALS: [(&str, &str); 3] = [
    ("高尾の森病院", "Takao Forest Hospital"),
    ("浅川こころの病院", "Asakawa Kokoro Hospital"),
    ("南多摩メンタル病院", "Minamitama Mental Hospital"),
];

pub(super) const HUBS: [(&str, &str); 5] = [
    ("地域生活支援拠点 北部", "Life support hub North"),
    ("地域生活支援拠点 南部", "Life support hub South"),
    ("地域生活支援拠点 東部", "Life support hub East"),
    ("地域生活支援拠点 西部", "Life support hub West"),
    ("地域生活支援拠点 中央", "Life support hub Central"),
];

/// Cooperating businesses: name, hub index, functions they are registered under.
pub(super) const BUSINESSES: &[(&str, &str, usize, &[HubFunction])] = &[
    (
        "相談支援事業所 ひだまり",
        "Hidamari counselling office",
        0,
        &[HubFunction::Consultation, HubFunction::CommunityBuilding],
    ),
    (
        "グループホーム けやき",
        "Keyaki group home",
        0,
        &[HubFunction::Emergency, HubFunction::Experience],
    ),
    (
        "短期入所 あおば",
        "Aoba short stay",
        1,
        &[HubFunction::Emergency],
    ),
    (
        "地域活動支援センター こもれび",
        "Komorebi community activity center",
        1,
        &[HubFunction::Experience, HubFunction::Consultation],
    ),
    (
        "就労支援 たんぽぽ",
        "Tanpopo employment support",
        2,
        &[HubFunction::Specialists, HubFunction::Experience],
    ),
    (
        "相談支援センター みなみ",
        "Minami counselling center",
        2,
        &[HubFunction::Consultation],
    ),
    (
        "研修センター やまゆり",
        "Yamayuri training center",
        3,
        &[HubFunction::Specialists, HubFunction::CommunityBuilding],
    ),
    (
        "緊急受入れ ほっと",
        "Hot emergency shelter",
        3,
        &[HubFunction::Emergency],
    ),
    (
        "地域づくり ねっと八王子",
        "Net Hachioji community network",
        4,
        &[HubFunction::CommunityBuilding, HubFunction::Consultation],
    ),
    (
        "体験ホーム さくら",
        "Sakura trial living home",
        4,
        &[HubFunction::Experience, HubFunction::Specialists],
    ),
];

/// What a cooperating business offers under a function.
pub(super) fn offer(function: HubFunction) -> &'static str {
    match function {
        HubFunction::Consultation => "電話・来所・訪問による相談（本人・家族・支援者）",
        HubFunction::Emergency => "夜間・休日の緊急受入れと短期入所（空床は電話で確認）",
        HubFunction::Specialists => "支援者向けの研修と事例検討会",
        HubFunction::Experience => "一人暮らしや日中活動の体験利用",
        HubFunction::CommunityBuilding => "地域の支援者会議とネットワークづくり",
    }
}

/// When a business with these functions can be reached: around the clock if it takes
/// emergencies.
pub(super) fn hours(functions: &[HubFunction]) -> &'static str {
    if functions.iter().any(|f| f.is_crisis()) {
        "24時間・365日"
    } else {
        "平日 9:00〜17:00"
    }
}

pub(super) const GOALS: [(&str, &str, &str); 5] = [
    (
        "近所のスーパーに一人で買い物に行けるようになりたい",
        "服薬中断が続いており受診再開が必要",
        "ごみの片付けと家計管理に支援が必要",
    ),
    (
        "夜ぐっすり眠って、朝に散歩をしたい",
        "不眠が強く、睡眠の評価と調整が必要",
        "日中の居場所として地域活動支援センターを紹介",
    ),
    (
        "また働けるようになりたい",
        "抑うつ状態は改善傾向。主治医と就労時期を相談",
        "就労支援事業所の見学を調整",
    ),
    (
        "母と穏やかに暮らしたい",
        "幻聴への対処を本人と共有",
        "家族の介護負担の軽減に向けて包括支援センターと連携",
    ),
    (
        "部屋を片付けて友人を呼びたい",
        "受診は継続中。疲れやすさの背景を確認",
        "片付けの支援と近隣との関係づくり",
    ),
];

pub(super) const PLACES: [&str; 6] = [
    "自宅",
    "市民センター",
    "はちまるサポート相談室",
    "駅前の喫茶店",
    "公園",
    "自宅（玄関先）",
];

/// Staff indexes into [`STAFF`].
const SATO: usize = 0;
const TANAKA: usize = 1;
const SUZUKI: usize = 2;
const ITO: usize = 3;
const CSWS: [usize; 3] = [4, 5, 6];

/// How many demo cases there are; the last five are closed, the four before them at intake.
pub(super) const CASES: usize = 30;

/// The team of demo case `i`: a nurse, and for welfare-desk cases the desk's social worker,
/// and often a dispatched psychiatric staff member. `nurse.sato` is on three cases in four.
pub(super) fn team(i: usize, channel: IntakeChannel) -> Vec<usize> {
    let nurse = if i % 4 == 3 { TANAKA } else { SATO };
    let psychiatric = if i.is_multiple_of(2) { SUZUKI } else { ITO };
    match channel {
        IntakeChannel::WelfareDesk if i.is_multiple_of(3) => {
            vec![nurse, CSWS[(i / 3) % 3], psychiatric]
        }
        IntakeChannel::WelfareDesk => vec![CSWS[(i / 3) % 3], nurse],
        IntakeChannel::PublicHealthCenter => vec![nurse, psychiatric],
    }
}
