//! Pages and components. One file per page; texts come from [`i18n`].

mod admin;
mod admin_directory;
mod case;
mod components;
mod directory;
pub mod i18n;
mod indicators;
mod intake;
mod login;
mod new_account;
mod passphrase;
mod pwa;
mod review;
mod second_factor;
mod sync_status;
mod unlock;
mod visit;
mod visits;

use crate::api::{Home, Login, Logout, Viewer, LANG_COOKIE};
use crate::domain::{Lang, Role};
use i18n::{pick, tr, use_lang, Label, T};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
#[cfg(feature = "split")]
use leptos_router::lazy_route;
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes, A},
    hooks::use_navigate,
    path, Lazy, LazyRoute,
};

/// A page whose code is downloaded when it is first opened, not with the sign-in page. The
/// split needs the release build's splitter (`split`); other builds, the browser tests of the
/// device among them, link every page in.
macro_rules! lazy_page {
    ($($route:ident => $page:path),* $(,)?) => {
        /// Downloads the code of every screen now (see `pwa::UpdateBanner`).
        #[cfg(feature = "split")]
        async fn fetch_screens() {
            $(<$route as LazyRoute>::preload().await;)*
        }
        $(
        struct $route;

        #[cfg(feature = "split")]
        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }

        #[cfg(not(feature = "split"))]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
        )*
    };
}

lazy_page! {
    VisitsRoute => visits::VisitsPage,
    VisitRoute => visit::VisitPage,
    ReviewRoute => review::ReviewPage,
    ConflictsRoute => review::ConflictsPage,
    CaseRoute => case::CasePage,
    IntakeRoute => intake::IntakePage,
    DirectoryRoute => directory::DirectoryPage,
    IndicatorsRoute => indicators::IndicatorsPage,
    SecurityRoute => second_factor::SecondFactorPage,
    AdminRoute => admin::AccountsPage,
}

/// What a page derives from the device for the signed-in user: `None` while the store opens
/// or before the first sync has brought anything.
pub fn from_device<T>(
    derive: impl Fn(&crate::sync::Replica, crate::domain::StaffId, &crate::sync::Reference) -> T
        + Send
        + Sync
        + 'static,
) -> Memo<Option<T>>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    let device = crate::client::use_device();
    let session = use_session();
    Memo::new(move |_| {
        let me = session.viewer.get().flatten()?.id;
        device.replica.with(|replica| {
            let replica = replica.as_ref().filter(|r| r.cursor > 0)?;
            Some(device.reference.with(|refs| derive(replica, me, refs)))
        })
    })
}

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = initial_lang();
    view! {
        <!DOCTYPE html>
        <html lang=lang.tag()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#1f5f8b"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="apple-touch-icon" href="/icons/apple-touch-icon.png"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The language remembered in the cookie; Japanese when there is none.
fn initial_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        crate::api::ssr::cookie(LANG_COOKIE)
            .map(|tag| Lang::from_tag(&tag))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        browser_cookie(LANG_COOKIE)
            .map(|tag| Lang::from_tag(&tag))
            .unwrap_or_default()
    }
}

#[cfg(not(feature = "ssr"))]
fn browser_cookie(name: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let cookies = document()
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()?
            .cookie()
            .ok()?;
        cookies
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = name;
        None
    }
}

/// Remembers the language for a year and applies it to the document at once.
fn remember_lang(lang: Lang) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() {
            let _ = doc.set_cookie(&format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Strict",
                lang.tag()
            ));
            if let Some(root) = doc.document_element() {
                let _ = root.set_attribute("lang", lang.tag());
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = lang;
}

/// The signed-in user, shared with every page; refetched after signing in or out.
#[derive(Clone, Copy)]
pub struct Session {
    /// The user, once loaded; `None` inside when nobody is signed in.
    pub viewer: Resource<Option<Viewer>>,
    /// The sign-in action; the login page dispatches it.
    pub login: ServerAction<Login>,
    /// The sign-out action.
    pub logout: ServerAction<Logout>,
}

/// The session shared through context.
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Asks the person to confirm an action that cannot be taken back (the browser's own dialog);
/// on the server, where nothing is clicked, nothing is confirmed.
pub(crate) fn confirmed(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}

/// The application: header, routes, pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let lang = RwSignal::new(initial_lang());
    provide_context(lang);

    let login = ServerAction::<Login>::new();
    let logout = ServerAction::<Logout>::new();
    let device = crate::client::provide_device();
    // The server says who is signed in; when it cannot be reached, the device remembers whom
    // its data belongs to, so the app opens offline after one online login.
    let viewer = Resource::new(
        move || (login.version().get(), logout.version().get()),
        move |_| async move {
            match crate::api::whoami().await {
                Ok(viewer) => viewer,
                Err(crate::api::AppError::Network(_)) => crate::client::stored_owner(device).await,
                Err(_) => None,
            }
        },
    );
    Effect::new(move |_| {
        if let Some(Some(viewer)) = viewer.get() {
            device.signed_in(viewer);
        }
    });
    provide_context(Session {
        viewer,
        login,
        logout,
    });
    // The document's language follows the interface (the offline shell starts as Japanese).
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", lang.get().tag());
        }
    });
    // Marks the page as interactive once hydrated, for people's tools and for tests alike.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/dekapan.css"/>
        <Title text=tr(T::AppName)/>
        <Router>
            <a class="skip-link" href="#main">{tr(T::SkipToContent)}</a>
            <Header/>
            <pwa::UpdateBanner/>
            <pwa::StorageWarning/>
            <main id="main" tabindex="-1">
                <unlock::DeviceGate>
                <Routes fallback=|| view! { <p class="empty">{tr(T::PageNotFound)}</p> }>
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/login") view=login::LoginPage/>
                    <ParentRoute path=path!("/visits") view={Lazy::<VisitsRoute>::new()}>
                        <Route path=path!(":id") view={Lazy::<VisitRoute>::new()}/>
                        <Route path=path!("") view=visits::NoVisitChosen/>
                    </ParentRoute>
                    <Route path=path!("/review") view={Lazy::<ReviewRoute>::new()}/>
                    <Route path=path!("/conflicts") view={Lazy::<ConflictsRoute>::new()}/>
                    <Route path=path!("/cases/:id") view={Lazy::<CaseRoute>::new()}/>
                    <Route path=path!("/intake") view={Lazy::<IntakeRoute>::new()}/>
                    <Route path=path!("/directory") view={Lazy::<DirectoryRoute>::new()}/>
                    <Route path=path!("/indicators") view={Lazy::<IndicatorsRoute>::new()}/>
                    <Route path=path!("/security") view={Lazy::<SecurityRoute>::new()}/>
                    <Route path=path!("/admin") view={Lazy::<AdminRoute>::new()}/>
                </Routes>
                </unlock::DeviceGate>
            </main>
        </Router>
    }
}

/// The name of the page at `path`, shown in the header on a phone.
fn page_name(path: &str) -> T {
    let mut parts = path.trim_matches('/').split('/');
    match (parts.next().unwrap_or(""), parts.next().is_some()) {
        ("visits", true) => T::VisitPageName,
        ("visits", false) => T::MyVisits,
        ("cases", _) => T::CasePageName,
        ("review", _) => T::Review,
        ("conflicts", _) => T::OpenConflicts,
        ("indicators", _) => T::Indicators,
        ("intake", _) => T::Intake,
        ("directory", _) => T::Directory,
        ("security", _) => T::SignInSettings,
        ("admin", _) => T::Accounts,
        ("login", _) => T::Login,
        _ => T::AppName,
    }
}

/// `/`: sends the user to their start page, or to sign in.
#[component]
fn Home() -> impl IntoView {
    let session = use_session();
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match session.viewer.await {
                    Some(viewer) => view! { <Redirect path=viewer.start_page()/> }.into_any(),
                    None => view! { <Redirect path="/login"/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Renders its children only for a signed-in user; sends anyone else to the login page.
#[component]
pub fn RequireLogin(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="loading">{tr(T::Loading)}</p> }>
            {move || Suspend::new(async move {
                match session.viewer.await {
                    Some(_) => children.with_value(|c| c()).into_any(),
                    None => view! { <Redirect path="/login"/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Header() -> impl IntoView {
    let lang = use_lang();
    let session = use_session();
    let device = crate::client::use_device();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = session.logout.value().get() {
            session.logout.value().set(None);
            session.login.value().set(None);
            leptos::task::spawn_local(async move {
                let _ = device.signed_out().await;
            });
            navigate("/login", Default::default());
        }
    });
    // A user with an issued passphrase changes it, and where two-step sign-in is required a
    // user without it sets it up, before anything else.
    let location = leptos_router::hooks::use_location();
    let to_security = use_navigate();
    Effect::new(move |_| {
        let must = session
            .viewer
            .get()
            .flatten()
            .is_some_and(|v| v.settles_sign_in_first());
        if must && location.pathname.get() != "/security" {
            to_security("/security", Default::default());
        }
    });
    // Signing out first sends what waits, so nothing typed stays behind unsent if it can go.
    let sign_out = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        leptos::task::spawn_local(async move {
            device.flush().await;
            session.logout.dispatch(Logout {});
        });
    };
    let switch = move |_| {
        let next = lang.get_untracked().other();
        lang.set(next);
        remember_lang(next);
    };
    // On a phone the navigation, language and sign-out sit behind one menu button; it closes
    // whenever the page changes.
    let menu_open = RwSignal::new(false);
    let here = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        here.pathname.track();
        menu_open.set(false);
    });
    let page = move || i18n::t(lang.get(), page_name(&here.pathname.get()));
    view! {
        <header class="app-header" class:menu-open=move || menu_open.get()>
            <a class="brand" href="/">{tr(T::AppName)}</a>
            <span class="page-name" data-testid="page-name">{page}</span>
            <sync_status::SyncStatus/>
            <components::DisclosureButton open=menu_open controls="app-menu" class="menu-button" testid="menu-button">
                <span class="menu-icon" aria-hidden="true"></span>
                <span class="menu-word">{tr(T::Menu)}</span>
            </components::DisclosureButton>
            <div class="app-menu" id="app-menu" data-testid="app-menu">
            <Transition>
                {move || Suspend::new(async move {
                    session.viewer.await.map(|viewer| {
                        let start = viewer.start_page();
                        let supervisor = viewer.role.is_supervisor();
                        let nav_label = match viewer.home() {
                            Home::Accounts => T::Accounts,
                            Home::Review => T::Review,
                            Home::Visits => T::MyVisits,
                        };
                        view! {
                            <nav class="app-nav" data-testid="app-nav">
                                <A href=start>{tr(nav_label)}</A>
                                {supervisor.then(|| view! {
                                    <A href="/conflicts">{tr(T::OpenConflicts)}</A>
                                    <A href="/indicators">{tr(T::Indicators)}</A>
                                })}
                                {viewer.role.writes_notes().then(|| view! { <A href="/intake">{tr(T::Intake)}</A> })}
                                {(viewer.role != Role::Admin).then(|| view! { <A href="/directory">{tr(T::Directory)}</A> })}
                                <A href="/security">{tr(T::SignInSettings)}</A>
                            </nav>
                            <span class="whoami" data-testid="whoami">
                                {viewer.display_name.clone()}
                                <small>
                                    {move || viewer.role.label(lang.get())} " · "
                                    {
                                        let viewer = viewer.clone();
                                        move || pick(lang.get(), viewer.acts_for.as_ref().unwrap_or(&viewer.home_agency))
                                    }
                                </small>
                            </span>
                            <form class="logout-form" method="post" action="/api/logout" on:submit=sign_out>
                                <button type="submit" class="link-button" data-testid="logout">
                                    {tr(T::Logout)}
                                </button>
                            </form>
                        }
                    })
                })}
            </Transition>
            <button
                type="button"
                class="lang-switch"
                data-testid="lang-switch"
                lang=move || lang.get().other().tag()
                aria-label=tr(T::SwitchLanguageLabel)
                on:click=switch
            >
                {tr(T::SwitchLanguage)}
            </button>
            </div>
        </header>
    }
}
