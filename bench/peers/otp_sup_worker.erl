%% The worker of the OTP peer of bench/supervision.ts: a gen_server that crashes on `crash`
%% and, once restarted, handles the message that was queued behind the crash.
%%
%% The crash handler stores a monotonic timestamp (ns) in a public ETS table just before it
%% raises, as the troupe worker stores performance.now() before it throws. OTP's mailbox dies
%% with the process, so the message queued behind the crash cannot survive the restart as it
%% does in troupe; the new incarnation's init/1 puts it first in its own mailbox instead (a
%% self-cast, the cheapest way OTP can hand a message to a restarted process).
-module(otp_sup_worker).
-behaviour(gen_server).

-export([start_link/3]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(T0, otp_sup_bench_t0).

start_link(Id, Mode, Driver) ->
    gen_server:start_link(?MODULE, {Id, Mode, Driver}, []).

init({Id, Mode, Driver} = S) ->
    case ets:take(?T0, Id) of
        [{_, T0}] ->
            %% A restart after a crash.
            case Mode of
                latency -> gen_server:cast(self(), {ping, T0});
                storm -> Driver ! {up, Id, self()}
            end;
        [] ->
            ok
    end,
    {ok, S}.

handle_cast(crash, {Id, _, _}) ->
    ets:insert(?T0, {Id, erlang:monotonic_time(nanosecond)}),
    erlang:error(crash);
handle_cast({ping, T0}, {_, _, Driver} = S) ->
    T1 = erlang:monotonic_time(nanosecond),
    Driver ! {sample, T1 - T0, self()},
    {noreply, S}.

handle_call(_Req, _From, S) ->
    {reply, ok, S}.

handle_info(_Msg, S) ->
    {noreply, S}.
