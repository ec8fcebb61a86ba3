//! Enumerations stored and sent as short stable codes (`"welfare_desk"`), never as display text.

/// Declares a fieldless enum with a stable code per variant, `code()`, `parse()`, `ALL`,
/// and serde through the code.
macro_rules! coded_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code stored in the database and sent on the wire.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// Reads a code; an unknown code is a [`crate::domain::Problem::UnknownChoice`].
            pub fn parse(code: &str) -> Result<Self, $crate::domain::Problem> {
                match code {
                    $($code => Ok($name::$variant),)+
                    _ => Err($crate::domain::Problem::UnknownChoice),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&code).map_err(|_| {
                    serde::de::Error::custom(format!(concat!("unknown ", stringify!($name), " `{}`"), code))
                })
            }
        }
    };
}

pub(crate) use coded_enum;
