-- Text as people type it: trimmed of any Unicode whitespace (the characters app_private.is_blank,
-- in the migrations, counts as blank), and email addresses without any.

create or replace function app_private.unicode_trim(value text) returns text
  language sql immutable parallel safe
  as $$
    select btrim(value, E' \t\n\r\f\x0b\u0085\u00a0\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u200c\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff')
  $$;
comment on function app_private.unicode_trim(text) is
  E'The text without leading and trailing whitespace of any kind (Unicode spaces and zero-width characters too).';

create or replace function app_private.is_email_address(value text) returns boolean
  language sql immutable parallel safe
  as $$
    select char_length(value) <= 254
       and value ~ '^[^@\s]+@[^@\s]+$'
       and value !~ '[\u0085\u00a0\u1680\u180e\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]'
  $$;
comment on function app_private.is_email_address(text) is
  E'True for something@somewhere of at most 254 characters, without whitespace of any kind.';
